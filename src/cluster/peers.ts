/**
 * The cluster's one view of remote endpoints: a snapshot of the store's endpoint/ records
 * and one watch that keeps it current, skipping this host's own records. The overlay driver
 * and the controller both read it.
 */
import type { ClusterEndpoint, PeerChange, PeerSource } from '../contracts/peers.js';
import type { WatchableStore, WatchEvent } from '../contracts/store.js';
import { CLUSTER_EP } from './node.js';

export class StorePeerSource implements PeerSource {
  /** Remote endpoints by store key. */
  private readonly peers = new Map<string, ClusterEndpoint>();
  private readonly listeners = new Set<(change: PeerChange) => void>();
  private stopWatch?: () => Promise<void>;

  constructor(private readonly store: WatchableStore, private readonly hostId: string) {}

  /** Load what the store holds and follow its changes. */
  async start(): Promise<void> {
    const snap = await this.store.snapshot<ClusterEndpoint>(CLUSTER_EP);
    for (const r of snap.records) if (r.value.host !== this.hostId) this.peers.set(r.key, r.value);
    this.stopWatch = await this.store.watch<ClusterEndpoint>(CLUSTER_EP, (ev) => this.apply(ev), snap.revision + 1);
  }

  async close(): Promise<void> {
    await this.stopWatch?.();
    this.listeners.clear();
  }

  remoteEndpoints(networkId?: string): ClusterEndpoint[] {
    const all = [...this.peers.values()];
    return networkId === undefined ? all : all.filter((e) => e.networkId === networkId);
  }

  subscribe(listener: (change: PeerChange) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  private apply(ev: WatchEvent<ClusterEndpoint>): void {
    const receivedAt = performance.now();
    const previous = this.peers.get(ev.key);
    let change: PeerChange;
    if (ev.type === 'put') {
      if (ev.value.host === this.hostId) return;
      this.peers.set(ev.key, ev.value);
      change = { type: 'add', endpoint: ev.value, ...(previous ? { previous } : {}), receivedAt };
    } else {
      if (!previous) return;
      this.peers.delete(ev.key);
      change = { type: 'remove', endpoint: previous, receivedAt };
    }
    for (const l of this.listeners) l(change);
  }
}
