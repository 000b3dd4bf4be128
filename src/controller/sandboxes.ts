/** Sandboxes: a container's network namespace (or the host's), and its teardown. */
import path from 'node:path';
import type { Transaction } from '../contracts/store.js';
import type { Endpoints } from './endpoints.js';
import type { SandboxRecord } from './model.js';
import { SB, type ControllerState } from './state.js';
import { failpoint } from '../util/failpoint.js';
import { afterCommit, publishNetworkEvent } from './network-events.js';

export class Sandboxes {
  constructor(private readonly s: ControllerState, private readonly endpoints: Endpoints) {}

  /** A new network namespace for a container (or the host's, for network mode host). */
  async create(containerId: string, kind: 'netns' | 'host'): Promise<SandboxRecord> {
    const id = containerId;
    const rec: SandboxRecord = { id, containerId, ...(kind === 'netns' ? { nsPath: path.join(this.s.o.netnsDir, id.slice(0, 12)) } : {}) };
    await this.s.store.put(SB + id, rec);
    failpoint('sandbox.create.recorded');
    try {
      if (rec.nsPath) await this.s.o.os.createNamespace(rec.nsPath);
      failpoint('sandbox.create.netns');
    } catch (err) {
      if (rec.nsPath) this.s.o.os.deleteNamespace(rec.nsPath);
      await this.s.store.delete(SB + id);
      throw err;
    }
    this.s.sandboxes.set(id, rec);
    return rec;
  }

  /** Leave every network, then drop the namespace; the records go in tx (a commit of their own when absent). Idempotent. */
  async delete(id: string, into?: Transaction): Promise<void> {
    const sb = this.s.sandboxes.get(id);
    if (!sb) return;
    const tx = into ?? this.s.store.begin();
    for (const ep of [...this.s.endpoints.values()].filter((e) => e.sandboxId === id)) {
      if (!this.s.endpoints.has(ep.id)) continue; // went with another (weft_gwbridge)
      await this.endpoints.remove(ep, { force: true, closing: !!sb.nsPath }, tx);
      const n = this.s.networks.get(ep.networkId);
      if (n) afterCommit(tx, () => publishNetworkEvent(this.s, n, 'disconnect', sb.containerId));
    }
    failpoint('sandbox.delete.endpoints');
    if (sb.nsPath) this.s.o.os.deleteNamespace(sb.nsPath);
    failpoint('sandbox.delete.netns');
    tx.delete(SB + id);
    this.s.sandboxes.delete(id);
    if (!into) await tx.commit();
  }
}
