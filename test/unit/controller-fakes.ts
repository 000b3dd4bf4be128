/** Fakes for controller unit tests: a kernel-free SandboxOs, a recording network driver, an IPAM. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { EndpointInfo, JoinResult, NetworkDriver, NetworkInfo, SandboxInfo } from '../../src/contracts/driver.js';
import type { ClusterMembership } from '../../src/contracts/cluster.js';
import type { IpamDriver, PoolRequest } from '../../src/contracts/ipam.js';
import type { ClusterEndpoint } from '../../src/contracts/peers.js';
import type { SandboxGateways, SandboxOs } from '../../src/contracts/sandbox-os.js';
import type { Record as StoreRecord, TxnOp, WatchableStore, WatchEvent } from '../../src/contracts/store.js';
import { Controller, type ControllerOptions } from '../../src/controller/controller.js';
import { LmdbStore } from '../../src/store/lmdb.js';
import { BufferedTxn, resolveOps } from '../../src/store/txn.js';
import { DefaultIpam } from '../../ipam/default/default.js';

export class FakeIpam implements IpamDriver {
  readonly name = 'default';
  readonly capability = { requiresMac: false };
  pools = new Map<string, { pool: string; addrs: Set<string> }>();
  requests: PoolRequest[] = [];
  next = 0;
  defaultAddressSpaces() { return { local: 'L', global: 'G' }; }
  async requestPool(req: PoolRequest) {
    this.requests.push(req);
    const pool = req.pool ?? `172.${18 + this.next++}.0.0/16`;
    for (const p of this.pools.values()) {
      if (p.pool === pool) throw Object.assign(new Error('Pool overlaps with other one on this address space'), { status: 403 });
    }
    const poolId = `P/${pool}`;
    this.pools.set(poolId, { pool, addrs: new Set() });
    return { poolId, pool };
  }
  async releasePool(id: string) { this.pools.delete(id); }
  async requestAddress(id: string, addr?: string) {
    const p = this.pools.get(id)!;
    const a = addr ?? `${p.pool.split('.').slice(0, 3).join('.')}.${p.addrs.size + 1}`;
    p.addrs.add(a);
    return `${a}/${p.pool.split('/')[1]}`;
  }
  async releaseAddress(id: string, a: string) { this.pools.get(id)?.addrs.delete(a.split('/')[0]); }
}

/** Namespaces and default routes as sets and maps; host routes as given. */
export class FakeSandboxOs implements SandboxOs {
  readonly namespaces = new Set<string>();
  readonly defaultRoutes = new Map<string, { ifName: string } & SandboxGateways>();
  readonly pinned: { pid: number; nsPath: string }[] = [];
  routes: string[] = [];
  failCreate = false;
  readonly sysctls = new Map<string, string>();
  async hostRoutes() { return [...this.routes]; }
  async createNamespace(nsPath: string) {
    this.namespaces.add(nsPath);
    if (this.failCreate) throw new Error('cannot bring lo up');
  }
  deleteNamespace(nsPath: string) { this.namespaces.delete(nsPath); }
  isPinned(nsPath: string) { return this.namespaces.has(nsPath); }
  pinProcessNamespace(pid: number, nsPath: string) {
    this.pinned.push({ pid, nsPath });
    this.namespaces.add(nsPath);
  }
  async setDefaultRoute(nsPath: string, ifName: string, gw: SandboxGateways) {
    this.defaultRoutes.set(nsPath, { ifName, ...gw });
  }
  setSysctls(nsPath: string, sysctls: { key: string; value: string }[]) {
    for (const s of sysctls) this.sysctls.set(`${nsPath}:${s.key}`, s.value);
  }
}

/**
 * A driver whose "kernel" is two sets: the networks' devices and the endpoints joined.
 * restoreNetwork re-creates a lost device and lost endpoints, as the real drivers do.
 */
export class FakeDriver implements NetworkDriver {
  readonly name: string;
  readonly capability: { scope: 'local' | 'global'; needsIpam: boolean; userCreatable: boolean };
  created: string[] = [];
  readonly joined = new Set<string>();
  readonly restored: { network: string; endpoints: string[] }[] = [];
  failCreate = false;
  failJoin = false;
  /** Whether join offers the network's gateway (bridge does; overlay does not). */
  offersGateway = true;
  constructor(name = 'fake', scope: 'local' | 'global' = 'local') {
    this.name = name;
    this.capability = { scope, needsIpam: true, userCreatable: true };
  }
  validateNetwork(n: NetworkInfo) { if (n.options.bad) throw Object.assign(new Error('bad option'), { status: 400 }); }
  async createNetwork(n: NetworkInfo) { if (this.failCreate) throw new Error('kernel said no'); this.created.push(n.name); }
  async deleteNetwork(n: NetworkInfo) { this.created = this.created.filter((x) => x !== n.name); }
  async createEndpoint(_n: NetworkInfo, ep: EndpointInfo) { ep.driverState.hostIf = `veth${ep.id.slice(0, 7)}`; }
  async deleteEndpoint() {}
  async join(n: NetworkInfo, ep: EndpointInfo, _sb: SandboxInfo): Promise<JoinResult> {
    if (this.failJoin) throw new Error('join failed');
    this.joined.add(ep.id);
    const gw = n.ipv4[0]?.gateway;
    return gw && this.offersGateway ? { gateway4: gw.split('/')[0] } : {};
  }
  async leave(_n: NetworkInfo, ep: EndpointInfo) { this.joined.delete(ep.id); }
  async programExternalConnectivity() {}
  async revokeExternalConnectivity() {}
  async restoreNetwork(n: NetworkInfo, eps: { ep: EndpointInfo; sb: SandboxInfo }[]) {
    this.restored.push({ network: n.name, endpoints: eps.map((e) => e.ep.id) });
    if (!this.created.includes(n.name)) this.created.push(n.name);
    if (this.failJoin && eps.length) throw new Error('join failed');
    for (const { ep } of eps) this.joined.add(ep.id);
  }
}

/** An in-memory store whose watch callback the test drives. */
export class FakeWatchStore implements WatchableStore {
  readonly data = new Map<string, StoreRecord>();
  rev = 0;
  watchers: { prefix: string; cb: (ev: WatchEvent<never>) => void; from?: number }[] = [];
  async get<T>(key: string) { return this.data.get(key) as StoreRecord<T> | undefined; }
  async put<T>(key: string, value: T) {
    const revision = ++this.rev;
    this.data.set(key, { key, value, revision });
    for (const w of this.watchers) if (key.startsWith(w.prefix)) w.cb({ type: 'put', key, value: value as never, revision });
    return revision;
  }
  async delete(key: string) {
    const had = this.data.delete(key);
    const revision = ++this.rev;
    for (const w of this.watchers) if (had && key.startsWith(w.prefix)) w.cb({ type: 'delete', key, revision });
    return had;
  }
  async list<T>(prefix: string) {
    return [...this.data.values()].filter((r) => r.key.startsWith(prefix)).sort((a, b) => a.key.localeCompare(b.key)) as StoreRecord<T>[];
  }
  async compareAndSwap<T>(key: string, expected: number | null, value: T) {
    const cur = this.data.get(key);
    if ((expected === null && cur) || (expected !== null && cur?.revision !== expected)) return undefined;
    return this.put(key, value);
  }
  async compareAndDelete(key: string, expected: number) {
    if (this.data.get(key)?.revision !== expected) return false;
    return this.delete(key);
  }
  begin() { return new BufferedTxn(this, (ops) => this.applyOps(ops)); }
  /** Resolved like a real store's commit, then written key by key (the watchers see each write). */
  private async applyOps(ops: TxnOp[]) {
    for (const [key, w] of resolveOps(ops, (k) => this.data.get(k), true)) await (w === null ? this.delete(key) : this.put(key, w.value));
  }
  async close() {}
  async snapshot<T>(prefix: string) { return { records: await this.list<T>(prefix), revision: this.rev }; }
  async watch<T>(prefix: string, cb: (ev: WatchEvent<T>) => void, from?: number) {
    const w = { prefix, cb: cb as (ev: WatchEvent<never>) => void, from };
    this.watchers.push(w);
    return async () => { this.watchers = this.watchers.filter((x) => x !== w); };
  }
}

/** This host in a cluster whose store is a FakeWatchStore. */
export class FakeMembership implements ClusterMembership {
  readonly store = new FakeWatchStore();
  readonly tunnelAddr = '100.64.0.1';
  constructor(readonly hostId = 'me', readonly advertiseAddr = '192.0.2.1') {}
  async publishEndpoint(ep: ClusterEndpoint) { await this.store.put(`endpoint/${ep.networkId}/${ep.id}`, ep); }
  async unpublishEndpoint(ep: { networkId: string; id: string }) { await this.store.delete(`endpoint/${ep.networkId}/${ep.id}`); }
  async publishedEndpoints(networkId?: string) {
    return (await this.store.list<ClusterEndpoint>(networkId ? `endpoint/${networkId}/` : 'endpoint/')).map((r) => r.value);
  }
}

export const silent = pino({ level: 'silent' });

/** A temp dir per test, removed by cleanup(). */
export class TempDirs {
  private readonly dirs: string[] = [];
  make(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ctl-'));
    this.dirs.push(dir);
    return dir;
  }
  cleanup(): void {
    for (const d of this.dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** A controller on a real LmdbStore and the real default IPAM, with a fake driver and SandboxOs. */
export async function makeController(dir: string, extra: Partial<ControllerOptions> = {}) {
  const store = await LmdbStore.open(dir);
  const ipam = new DefaultIpam(store, { v4Pools: ['10.50.0.0/24', '10.51.0.0/24'], v6Pools: ['fd50::/64'] });
  const driver = new FakeDriver();
  const sos = new FakeSandboxOs();
  const ctl = new Controller({
    store, drivers: [driver], ipams: [ipam], netnsDir: path.join(dir, 'netns'), os: sos, logger: silent, ...extra,
  });
  return { ctl, store, ipam, driver, sos };
}
