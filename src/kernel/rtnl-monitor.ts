/**
 * A listener on rtnetlink multicast groups whose reads cannot take the daemon down: the
 * socket is plain libc (netlink-raw.ts) and is read by a worker thread
 * (rtnl-monitor-worker.ts). Notices arrive in batches, one per drain of the socket; `lost`
 * says that some were missed (an overrun, or the thread died and was replaced), so the
 * consumer must re-read the state it follows.
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { closeFd, openMulticast, openWakeup } from './netlink-raw.js';
import type { MonitorPost } from './rtnl-monitor-worker.js';
import type { RtNotice } from './rtnl-notices.js';

export type { RtNotice } from './rtnl-notices.js';

const WORKER = new URL('./rtnl-monitor-worker.js', import.meta.url);
/** A thread that died is replaced after this long, so a thread that keeps dying costs little. */
const RESTART_MS = 1000;
const MONITOR_HEAP = { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16, codeRangeSizeMb: 4 };

export interface MonitorHandlers {
  notices(batch: RtNotice[]): void;
  lost(reason: string): void;
}

export class RtnlMonitor {
  private closed = false;
  private stopCurrent?: () => void;
  private restart?: NodeJS.Timeout;

  /** Listens in the namespace at nsPath (the caller's own when omitted) to `groups` (RTNLGRP_* numbers). */
  constructor(
    private readonly nsPath: string | undefined, private readonly groups: readonly number[], private readonly on: MonitorHandlers,
  ) {
    this.spawn();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.restart);
    this.stopCurrent?.();
  }

  private respawnLater(): void {
    this.restart = setTimeout(() => {
      if (this.closed) return;
      try {
        this.spawn();
      } catch (err) {
        this.on.lost(`reopening the monitor failed: ${(err as Error).message}`);
        this.respawnLater();
      }
    }, RESTART_MS);
    this.restart.unref();
  }

  private spawn(): void {
    const fd = openMulticast(this.nsPath, this.groups);
    const wake = openWakeup();
    // A small heap: the thread only parses one burst at a time (V8's defaults cost the daemon ~15 MB of RSS);
    // running out of it ends the thread, which counts as lost notices: a full re-read and a new thread.
    const worker = new Worker(WORKER, { workerData: { fd, wake }, resourceLimits: MONITOR_HEAP });
    worker.unref();
    let ended = false;
    this.stopCurrent = () => fs.writeSync(wake, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
    worker.on('message', (m: MonitorPost) => {
      if ('notices' in m) this.on.notices(m.notices);
      else this.on.lost(m.lost);
    });
    const end = (reason?: string) => {
      if (ended) return;
      ended = true;
      closeFd(fd);
      closeFd(wake);
      if (this.closed) return;
      this.on.lost(reason ?? 'the monitor thread ended');
      this.respawnLater();
    };
    worker.on('error', (err) => end(`the monitor thread failed: ${err.message}`));
    worker.on('exit', () => end());
  }
}
