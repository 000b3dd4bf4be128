/**
 * Link deletion off the request path. Unregistering a net device waits for RCU grace periods
 * inside the netlink send (~20 ms a veth here), which would stall the daemon's only thread;
 * the reaper sends those deletions from a worker thread with its own socket instead, in the
 * daemon's own namespace. Callers first make the link harmless and its names free (see
 * retireInnerEnd), so nothing observable waits for the kernel's cleanup.
 *
 * A link still queued when the daemon dies is found again by reconcile's sweep (a weft veth
 * on a weft bridge that no endpoint owns), or goes with its sandbox's namespace.
 */
import { Worker } from 'node:worker_threads';
import type { Rtnl } from './rtnl.js';

interface Reply { id: number; error?: string }

export class LinkReaper {
  private worker: Worker | undefined;
  private nextId = 0;
  /** Queued deletions by id: the link's name and who waits for its answer. */
  private readonly pending = new Map<number, { name: string; waiters: (() => void)[] }>();

  /** host: the daemon's handle, which deletes in this thread when the worker is gone; onError hears of failed deletions. */
  constructor(private readonly host: Rtnl, private readonly onError: (name: string, err: unknown) => void) {}

  /** Queue the deletion of a link of the daemon's namespace; returns at once. */
  delete(name: string): void {
    const id = this.nextId++;
    this.pending.set(id, { name, waiters: [] });
    const w = this.start();
    if (w) w.postMessage({ id, name });
    else this.runHere(id);
  }

  /** Resolves once every deletion queued so far has been answered. */
  async settled(): Promise<void> {
    await Promise.all([...this.pending.values()].map((p) => new Promise<void>((resolve) => p.waiters.push(resolve))));
  }

  /** Finish the queued deletions, then stop the worker. */
  async close(): Promise<void> {
    await this.settled();
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }

  private start(): Worker | undefined {
    if (this.worker) return this.worker;
    try {
      const w = new Worker(new URL('./link-reaper-worker.js', import.meta.url));
      w.unref();
      w.on('message', (r: Reply) => this.answer(r.id, r.error));
      w.on('error', (err) => this.lost(w, err));
      w.on('exit', () => this.lost(w, new Error('link reaper thread exited')));
      this.worker = w;
      return w;
    } catch (err) {
      this.onError('(reaper thread)', err);
      return undefined;
    }
  }

  /** The thread died: what it had not answered is deleted here instead. */
  private lost(w: Worker, err: unknown): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    if (this.pending.size) this.onError('(reaper thread)', err);
    for (const id of this.pending.keys()) this.runHere(id);
  }

  private runHere(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.host.deleteLink(p.name).then(() => this.answer(id), (err: Error) => this.answer(id, err.message));
  }

  private answer(id: number, error?: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (error) this.onError(p.name, new Error(error));
    for (const w of p.waiters) w();
  }
}
