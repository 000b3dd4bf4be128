/**
 * Deleting a veth pair costs the deleting thread the kernel's whole unregister (~20 ms: RCU
 * syncs, then an rcu_barrier and the wait for the last references), but most of it comes
 * after the pair is gone from every view: both ends unlisted, their addresses and routes
 * flushed, RTM_DELLINK sent. So the delete runs in a worker thread (link-delete-worker.ts),
 * and the caller resumes at the peer's RTM_DELLINK — the kernel sends the peer's after the
 * host end's — or at the worker's answer, whichever comes first. The worker finishes the
 * unregister meanwhile; a second delete goes to another thread rather than wait for it.
 */
import { Worker } from 'node:worker_threads';
import { createRtNetlink, rt, type NetlinkMessage } from 'netlink';
import { inNetns } from './netns.js';
import { NetlinkError } from './rtnl.js';
import type { DeleteAnswer, DeleteRequest } from './link-delete-worker.js';

const RTM_DELLINK = 17;
const WORKER = new URL('./link-delete-worker.js', import.meta.url);

/** The other end of the pair, whose removal tells that the pair is gone. */
export interface PairPeer {
  nsPath: string;
  ifName: string;
}

interface Thread {
  worker: Worker;
  pending: Map<number, (a: DeleteAnswer) => void>;
}

export class LinkDeleter {
  private readonly threads: Thread[] = [];
  private nextId = 1;

  /** Deletes act in the namespace at nsPath (the caller's own when omitted). */
  constructor(private readonly nsPath?: string, private readonly maxThreads = 3) {}

  /** Delete the link `name`, with its peer if it is a veth; false when there was no such link. */
  async deletePair(name: string, peer?: PairPeer): Promise<boolean> {
    const watch = peer ? watchDeletion(peer) : undefined;
    try {
      const answer = this.request(name);
      const first = await Promise.race(watch ? [answer, watch.gone] : [answer]);
      if (first === 'gone' || !first.code) return true;
      if (first.code === 'ENODEV') return false;
      throw new NetlinkError(first.code, `delete link ${name}`);
    } finally {
      watch?.close();
    }
  }

  /** Stop the threads; a delete still running in one finishes in the kernel all the same. */
  async close(): Promise<void> {
    await Promise.all(this.threads.splice(0).map((t) => new Promise((resolve) => {
      t.worker.once('exit', resolve);
      t.worker.ref(); // else a loop with nothing else to do ends before the thread does
      t.worker.postMessage({ close: true } satisfies DeleteRequest);
    })));
  }

  private request(name: string): Promise<DeleteAnswer> {
    const id = this.nextId++;
    const thread = this.pick();
    return new Promise((resolve) => {
      thread.pending.set(id, resolve);
      thread.worker.postMessage({ id, name } satisfies DeleteRequest);
    });
  }

  /** An idle thread, a new one while there are fewer than maxThreads, else the least busy. */
  private pick(): Thread {
    const idle = this.threads.find((t) => t.pending.size === 0);
    if (idle) return idle;
    if (this.threads.length < this.maxThreads) return this.spawn();
    return this.threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  private spawn(): Thread {
    const worker = new Worker(WORKER, { workerData: { nsPath: this.nsPath } });
    worker.unref();
    const thread: Thread = { worker, pending: new Map() };
    worker.on('message', (a: DeleteAnswer) => {
      thread.pending.get(a.id)?.(a);
      thread.pending.delete(a.id);
    });
    // A thread that dies fails its requests; the next delete gets a new thread.
    const fail = (code: string) => {
      for (const [id, resolve] of thread.pending) resolve({ id, code });
      thread.pending.clear();
      const i = this.threads.indexOf(thread);
      if (i >= 0) this.threads.splice(i, 1);
    };
    worker.on('error', () => fail('EWORKER'));
    worker.on('exit', () => fail('EWORKER'));
    this.threads.push(thread);
    return thread;
  }
}

/**
 * Resolves 'gone' at the RTM_DELLINK of peer.ifName in peer's namespace; undefined when the
 * namespace cannot be entered (gone already: the pair went with it, or the delete says so).
 */
function watchDeletion(peer: PairPeer): { gone: Promise<'gone'>; close: () => void } | undefined {
  let sock: ReturnType<typeof createRtNetlink>;
  try {
    sock = inNetns(peer.nsPath, () => createRtNetlink());
  } catch {
    return undefined;
  }
  sock.addMembership('LINK');
  const gone = new Promise<'gone'>((resolve) => {
    sock.socket.on('message', (msgs: NetlinkMessage[]) => {
      for (const m of msgs) {
        if (m.type !== RTM_DELLINK) continue;
        const link = rt.parseMessage(m.type, m.data) as rt.LinkMessage;
        if (!link.data.family && link.attrs.ifname === peer.ifName) resolve('gone');
      }
    });
  });
  return { gone, close: () => sock.socket.close() };
}
