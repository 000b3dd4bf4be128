/**
 * The thread of an RtnlMonitor (rtnl-monitor.ts): blocks on its multicast socket, drains
 * every queued datagram, and posts their notices as one batch; an overrun (ENOBUFS), a
 * truncated or an unparsable datagram is posted as `lost`, after which the consumer re-reads
 * all. It ends when the wake-up fd is written. The fds are the monitor's: it closes them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ENOBUFS, receive, waitReadable } from './netlink-raw.js';
import { parseNotices, type RtNotice } from './rtnl-notices.js';

export type MonitorPost = { notices: RtNotice[] } | { lost: string };

const { fd, wake } = workerData as { fd: number; wake: number };
const buf = Buffer.alloc(256 * 1024);

function drain(): void {
  const notices: RtNotice[] = [];
  let lost: string | undefined;
  for (;;) {
    const n = receive(fd, buf);
    if (n === 0) break;
    if (n === -ENOBUFS) lost = 'ENOBUFS';
    else if (n > buf.length) lost = `a datagram of ${n} bytes was truncated`;
    else {
      try {
        notices.push(...parseNotices(buf.subarray(0, n)));
      } catch (err) {
        lost = `unparsable notification: ${(err as Error).message}`;
      }
    }
  }
  if (notices.length) parentPort!.postMessage({ notices } satisfies MonitorPost);
  if (lost) parentPort!.postMessage({ lost } satisfies MonitorPost);
}

while (waitReadable(fd, wake) === 'socket') drain();
