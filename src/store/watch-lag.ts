/**
 * Matches this client's etcd writes with the watch events of the same revision, to time the
 * watch's delay (metrics/cluster.ts says why on its own writes). The write's answer and the
 * event come on different streams, in either order: whichever comes first waits for the other.
 * Revisions no watch covers are forgotten after a while.
 */
import { etcdWatchLag } from '../metrics/cluster.js';

const FORGET_MS = 30_000;
const MAX_PENDING = 4096;

export class WatchLag {
  /** Revision -> when its write was sent, or when its event came (the write's answer still out). */
  private readonly written = new Map<number, number>();
  private readonly seen = new Map<number, number>();

  /** A write sent at `sentAt` (performance.now()) was committed at `revision`. */
  wrote(sentAt: number, revision: number): void {
    const at = this.seen.get(revision);
    if (at !== undefined) {
      this.seen.delete(revision);
      etcdWatchLag.observe(Math.max(0, at - sentAt) / 1000);
    } else {
      remember(this.written, revision, sentAt);
    }
  }

  /** A watch delivered the event of `revision`; with several watches the first one counts. */
  delivered(revision: number): void {
    const now = performance.now();
    const sentAt = this.written.get(revision);
    if (sentAt !== undefined) {
      this.written.delete(revision);
      etcdWatchLag.observe((now - sentAt) / 1000);
    } else if (!this.seen.has(revision)) {
      remember(this.seen, revision, now);
    }
  }
}

/** Insertion order is time order: drop what is too old or too many, then add. */
function remember(m: Map<number, number>, revision: number, at: number): void {
  for (const [rev, t] of m) {
    if (m.size < MAX_PENDING && at - t < FORGET_MS) break;
    m.delete(rev);
  }
  m.set(revision, at);
}
