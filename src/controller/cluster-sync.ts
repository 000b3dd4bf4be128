/**
 * Global scope after reconcile: publish this host's endpoints of global networks again (a
 * new lease), drop what an earlier life of this host published and no longer has, and
 * follow the global networks other hosts create and delete. Remote endpoints themselves
 * come from the cluster's peer source.
 */
import type { ClusterMembership } from '../contracts/cluster.js';
import type { WatchEvent } from '../contracts/store.js';
import { Serial } from '../util/lock.js';
import { publishEndpoint } from './cluster-publish.js';
import type { Endpoints } from './endpoints.js';
import type { NetworkRecord } from './model.js';
import { NET, SB, type ControllerState } from './state.js';

export class ClusterSync {
  private readonly queue = new Serial();
  private pending: Promise<unknown> = Promise.resolve();
  private stopWatch?: () => Promise<void>;

  constructor(private readonly s: ControllerState, private readonly cluster: ClusterMembership, private readonly endpoints: Endpoints) {}

  /** fromRevision: the revision the global networks were loaded at. */
  async start(fromRevision: number): Promise<void> {
    for (const ep of this.s.endpoints.values()) {
      const n = this.s.networks.get(ep.networkId);
      if (n && n.scope !== 'local' && ep.state === 'ready') await publishEndpoint(this.s, ep);
    }
    for (const ep of await this.cluster.publishedEndpoints()) {
      if (ep.host === this.cluster.hostId && !this.s.endpoints.has(ep.id)) await this.cluster.unpublishEndpoint(ep);
    }
    this.stopWatch = await this.cluster.store.watch<NetworkRecord>(NET, (ev) => {
      this.pending = this.queue.run(() => this.onNetwork(ev))
        .catch((err) => this.s.logger.error({ err, key: ev.key }, 'applying a cluster network change failed'));
    }, fromRevision + 1);
  }

  async close(): Promise<void> {
    await this.stopWatch?.();
    await this.pending;
  }

  /** Mirror a global network another host created; tear down one another host deleted. */
  private async onNetwork(ev: WatchEvent<NetworkRecord>): Promise<void> {
    const id = ev.key.slice(NET.length);
    if (ev.type === 'put') {
      // Ours while we make it, or not finished yet elsewhere: nothing to mirror.
      if (ev.value.state !== 'ready' || this.s.networks.has(id)) return;
      this.s.networks.set(id, ev.value);
      await this.s.driverOf(ev.value).createNetwork(ev.value);
      this.s.logger.info({ network: ev.value.name, id }, 'global network appeared');
      return;
    }
    const n = this.s.networks.get(id);
    if (!n || n.state !== 'ready') return; // unknown, or this host is the one deleting it
    await this.s.locks.run(NET + n.name, async () => {
      n.state = 'deleting';
      for (const ep of [...this.s.endpoints.values()].filter((e) => e.networkId === n.id)) {
        await this.s.locks.run(SB + ep.sandboxId, () => this.endpoints.remove(ep, { force: true }));
      }
      await this.s.driverOf(n).deleteNetwork(n)
        .catch((err) => this.s.logger.warn({ err, network: n.name }, 'removing the network\'s devices failed'));
      this.s.networks.delete(n.id);
      this.s.logger.info({ network: n.name, id }, 'global network removed (by another host)');
    });
  }
}
