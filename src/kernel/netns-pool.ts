/**
 * Network namespaces made ahead of need: creating one (unshare, bind mount, loopback up) is
 * the slowest kernel step of a container start, so a few are kept ready in their own
 * directory and handed over with one bind mount. The pool fills lazily, one namespace per
 * event-loop turn after the first take, so a daemon that never starts a container makes
 * none, and requests are served between the fills.
 *
 * Its namespaces belong to no sandbox: whatever a previous life of the daemon left in the
 * directory is swept when the pool is made (at start), and close() removes the rest.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createNetns, deleteNetns, pinNetns } from './netns.js';
import { Rtnl } from './rtnl.js';

export class NetnsPool {
  private readonly ready: string[] = [];
  /** Pool paths already handed over, unmounted in the background with the next fill. */
  private readonly spent: string[] = [];
  private filling = false;
  private closed = false;

  constructor(private readonly dir: string, private readonly size = 4) {
    if (fs.existsSync(dir)) for (const name of fs.readdirSync(dir)) deleteNetns(path.join(dir, name));
  }

  /**
   * Pin a ready namespace (loopback up) at nsPath and tell whether one was there; when
   * none is ready the caller makes its own. Either way the pool refills in the background.
   */
  takeInto(nsPath: string): boolean {
    const pooled = this.ready.shift();
    this.schedule();
    if (!pooled) return false;
    this.spent.push(pooled);
    try {
      pinNetns(pooled, nsPath);
    } catch {
      deleteNetns(nsPath);
      return false;
    }
    return true;
  }

  /** Stop refilling and remove the namespaces still in the pool. */
  close(): void {
    this.closed = true;
    for (const p of [...this.ready.splice(0), ...this.spent.splice(0)]) deleteNetns(p);
  }

  private schedule(): void {
    if (this.filling || this.closed || (this.ready.length >= this.size && !this.spent.length)) return;
    this.filling = true;
    setImmediate(() => {
      this.fillOne().then(
        (ok) => {
          this.filling = false;
          if (ok) this.schedule();
        },
        () => {
          this.filling = false;
        },
      );
    }).unref();
  }

  /** One more namespace in the pool; false (and the pool stays as it is) when making it failed. */
  private async fillOne(): Promise<boolean> {
    if (this.closed) return false;
    for (const p of this.spent.splice(0)) deleteNetns(p);
    if (this.ready.length >= this.size) return false;
    const nsPath = path.join(this.dir, randomBytes(6).toString('hex'));
    try {
      createNetns(nsPath);
      const h = Rtnl.open(nsPath);
      try {
        await h.setLink((await h.requireLink('lo')).index, { up: true });
      } finally {
        h.close();
      }
    } catch {
      deleteNetns(nsPath);
      return false;
    }
    if (this.closed) {
      deleteNetns(nsPath);
      return false;
    }
    this.ready.push(nsPath);
    return true;
  }
}
