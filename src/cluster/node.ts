/**
 * This host's membership of a weft cluster (`weft daemon --cluster-store etcd://…
 * --advertise-addr IP`): the shared etcd store, a stable host id, and one lease that every
 * liveness-bound key of this host is written under — its node record and the endpoints it
 * publishes for global (overlay) networks. If the daemon dies, the lease is not renewed and
 * etcd deletes those keys after `ttl` seconds, which every other host sees through its
 * watch. If etcd dropped the lease while this host lives (a partition longer than ttl), a
 * new lease is granted and everything is published again.
 *
 * Global keys (below the store prefix, default /weft/):
 *   network/<id>                 global network records (NetworkRecord, scope "global")
 *   netname/<name>               name claims (network id), CAS-created: names are cluster-wide
 *   vni/<n>                      VNI claims (network id), CAS-created, from 4096 up
 *   ipam/global/…                the default IPAM's global address space (pools, addresses)
 *   node/<hostId>                {id, addr, hostname, since}            — under the lease
 *   endpoint/<networkId>/<epId>  ClusterEndpoint (contracts/peers.ts)   — under the lease
 *   wg/<hostId>                  WireGuard key, endpoint, tunnel address — under the lease
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type pino from 'pino';
import { tunnelAddrOf } from '../kernel/wireguard.js';
import { EtcdStore, type StoreLease } from '../store/etcd.js';
import type { ClusterMembership } from '../contracts/cluster.js';
import type { ClusterEndpoint } from '../contracts/peers.js';
import type { Store } from '../contracts/store.js';

export interface ClusterConfig {
  /** etcd://HOST:PORT[,etcd://HOST:PORT…] */
  storeUrl: string;
  /** This host's underlay address: the VXLAN tunnel endpoint other hosts send to. */
  advertiseAddr: string;
  /** Lease TTL in seconds: how long a dead host's endpoints linger elsewhere (default 15). */
  ttl?: number;
  /** Key prefix in etcd (default /weft/). */
  prefix?: string;
}

/** Prefix of the endpoint records (ClusterEndpoint) hosts publish under their lease. */
export const CLUSTER_EP = 'endpoint/';

export class ClusterNode implements ClusterMembership {
  private lease: StoreLease;
  private readonly published = new Map<string, unknown>();
  private closed = false;
  private regranting?: Promise<void>;
  readonly tunnelAddr: string;

  private constructor(
    readonly store: EtcdStore,
    readonly hostId: string,
    readonly advertiseAddr: string,
    readonly ttl: number,
    lease: StoreLease,
    private readonly logger: pino.Logger,
  ) {
    this.lease = lease;
    this.tunnelAddr = tunnelAddrOf(hostId);
    this.watchLease();
  }

  /** Connect to etcd, take a lease and publish this node. `local` keeps the host id. */
  static async join(cfg: ClusterConfig, local: Store, logger: pino.Logger): Promise<ClusterNode> {
    let hostId = (await local.get<string>('cluster/host-id'))?.value;
    if (!hostId) {
      hostId = crypto.randomBytes(8).toString('hex');
      await local.put('cluster/host-id', hostId);
    }
    const ttl = cfg.ttl ?? 15;
    const store = await EtcdStore.connect({ url: cfg.storeUrl, ...(cfg.prefix ? { prefix: cfg.prefix } : {}) });
    try {
      const lease = await store.grantLease(ttl);
      const node = new ClusterNode(store, hostId, cfg.advertiseAddr, ttl, lease, logger);
      const since = new Date().toISOString();
      await node.publish(`node/${hostId}`, { id: hostId, addr: cfg.advertiseAddr, hostname: os.hostname(), since });
      logger.info({ store: cfg.storeUrl, host: hostId, advertise: cfg.advertiseAddr, ttl }, 'joined cluster');
      return node;
    } catch (err) {
      await store.close();
      throw err;
    }
  }


  /** Write a key that lives as long as this host does (re-written after a lease loss). */
  async publish(key: string, value: unknown): Promise<void> {
    this.published.set(key, value);
    await this.regranting;
    await this.lease.put(key, value);
  }

  private async unpublish(key: string): Promise<void> {
    this.published.delete(key);
    await this.store.delete(key);
  }

  async publishEndpoint(ep: ClusterEndpoint): Promise<void> {
    await this.publish(endpointKey(ep), ep);
  }

  async unpublishEndpoint(ep: { networkId: string; id: string }): Promise<void> {
    await this.unpublish(endpointKey(ep));
  }

  async publishedEndpoints(networkId?: string): Promise<ClusterEndpoint[]> {
    const prefix = networkId === undefined ? CLUSTER_EP : `${CLUSTER_EP}${networkId}/`;
    return (await this.store.list<ClusterEndpoint>(prefix)).map((r) => r.value);
  }

  /**
   * leave: revoke the lease so every other host drops this host's endpoints at once (a
   * clean shutdown); otherwise they expire after ttl.
   */
  async close(opts: { leave?: boolean } = {}): Promise<void> {
    this.closed = true;
    if (opts.leave) await this.lease.revoke();
    await this.store.close();
  }

  private watchLease(): void {
    this.lease.on('lost', (err) => {
      if (this.closed) return;
      this.logger.warn({ err: err.message }, 'cluster lease lost; granting a new one and publishing again');
      this.regranting = this.regrant().finally(() => { this.regranting = undefined; });
    });
  }

  private async regrant(): Promise<void> {
    while (!this.closed) {
      try {
        this.lease = await this.store.grantLease(this.ttl);
        this.watchLease();
        for (const [k, v] of this.published) await this.lease.put(k, v);
        this.logger.info({ keys: this.published.size }, 'cluster lease renewed; endpoints published again');
        return;
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'cluster store unreachable; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}

function endpointKey(ep: { networkId: string; id: string }): string {
  return `${CLUSTER_EP}${ep.networkId}/${ep.id}`;
}
