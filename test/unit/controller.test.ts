/** Controller logic with fake drivers (pure logic: validation order and rollback). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { NetworkDriver, NetworkInfo } from '../../src/contracts/driver.js';
import type { IpamDriver, PoolRequest } from '../../src/contracts/ipam.js';
import { Controller } from '../../src/controller/controller.js';
import type { Rtnl } from '../../src/kernel/rtnl.js';
import { LocalStore } from '../../src/store/local.js';

class FakeIpam implements IpamDriver {
  readonly name = 'default';
  readonly capability = { requiresMac: false };
  pools = new Map<string, { pool: string; addrs: Set<string> }>();
  requests: PoolRequest[] = [];
  next = 0;
  defaultAddressSpaces() { return { local: 'L', global: 'G' }; }
  async requestPool(req: PoolRequest) {
    this.requests.push(req);
    const pool = req.pool ?? `172.${18 + this.next++}.0.0/16`;
    for (const p of this.pools.values()) if (p.pool === pool) throw Object.assign(new Error('Pool overlaps with other one on this address space'), { status: 403 });
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

class FakeDriver implements NetworkDriver {
  readonly name = 'fake';
  readonly capability = { scope: 'local' as const, needsIpam: true, userCreatable: true };
  created: string[] = [];
  failCreate = false;
  validateNetwork(n: NetworkInfo) { if (n.options.bad) throw Object.assign(new Error('bad option'), { status: 400 }); }
  async createNetwork(n: NetworkInfo) { if (this.failCreate) throw new Error('kernel said no'); this.created.push(n.name); }
  async deleteNetwork(n: NetworkInfo) { this.created = this.created.filter((x) => x !== n.name); }
  async createEndpoint() {}
  async deleteEndpoint() {}
  async join() { return {}; }
  async leave() {}
  async programExternalConnectivity() {}
  async revokeExternalConnectivity() {}
  async restoreNetwork() {}
}

const fakeHost = { routes: async (family: number) => (family === 2 ? [{ family, dst: '172.18.0.0/16', table: 254 }, { family, dst: '0.0.0.0/0', table: 254 }] : []) } as unknown as Rtnl;

describe('Controller (fake driver and IPAM)', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });
  const make = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ctl-'));
    dirs.push(dir);
    const store = LocalStore.open(dir);
    const ipam = new FakeIpam();
    const driver = new FakeDriver();
    const ctl = new Controller({ store, drivers: [driver], ipams: [ipam], netnsDir: path.join(dir, 'netns'), host: fakeHost, logger: pino({ level: 'silent' }) });
    return { ctl, ipam, driver, store };
  };

  it('creates a network: pool, gateway and aux addresses, persisted; host routes are passed to IPAM as avoid', async () => {
    const { ctl, ipam, store } = make();
    const n = await ctl.createNetwork({ name: 'n1', driver: 'fake', ipam: { config: [{ subnet: '10.1.0.0/24', auxAddresses: { r: '10.1.0.9' } }] } });
    expect(n.ipv4[0]).toMatchObject({ subnet: '10.1.0.0/24', auxAddresses: { r: '10.1.0.9' } });
    expect(n.ipv4[0].gateway).toMatch(/^10\.1\.0\.\d+\/24$/);
    expect((await store.list('network/')).length).toBe(1);
    expect(ipam.requests[0].avoid).toEqual(['172.18.0.0/16']);
    expect(ctl.findNetwork('n1').id).toBe(n.id);
    expect(ctl.findNetwork(n.id.slice(0, 5)).name).toBe('n1');
  });

  it('validates before allocating: nothing is reserved for a refused request', async () => {
    const { ctl, ipam, store } = make();
    const bad = [
      { name: '', driver: 'fake' },
      { name: 'x y', driver: 'fake' },
      { name: 'n', driver: 'nope' },
      { name: 'n', driver: 'fake', ipam: { config: [{ subnet: 'nonsense' }] } },
      { name: 'n', driver: 'fake', ipam: { config: [{ subnet: '10.0.0.0/24', gateway: '10.0.1.1' }] } },
      { name: 'n', driver: 'fake', ipam: { config: [{ subnet: '10.0.0.0/24', ipRange: '10.0.0.0/16' }] } },
      { name: 'n', driver: 'fake', ipam: { config: [{ subnet: 'fd00::/64' }] } },
      { name: 'n', driver: 'fake', options: { bad: '1' } },
    ];
    for (const req of bad) {
      await expect(ctl.createNetwork(req)).rejects.toHaveProperty('status');
    }
    expect(ipam.requests.length).toBe(0);
    expect(await store.list('')).toEqual([]);
  });

  it('rolls back pools and records when the driver fails half-way', async () => {
    const { ctl, ipam, driver, store } = make();
    driver.failCreate = true;
    await expect(ctl.createNetwork({ name: 'n1', driver: 'fake', ipam: { config: [{ subnet: '10.1.0.0/24' }] } })).rejects.toThrow(/kernel said no/);
    expect(ipam.pools.size).toBe(0);
    expect(await store.list('network/')).toEqual([]);
    expect(ctl.listNetworks()).toEqual([]);
    driver.failCreate = false;
    await ctl.createNetwork({ name: 'n1', driver: 'fake', ipam: { config: [{ subnet: '10.1.0.0/24' }] } });
    expect(driver.created).toEqual(['n1']);
  });

  it('refuses duplicate names, also when two creates race', async () => {
    const { ctl } = make();
    const results = await Promise.allSettled([
      ctl.createNetwork({ name: 'same', driver: 'fake' }),
      ctl.createNetwork({ name: 'same', driver: 'fake' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason.message).toBe('network with name same already exists');
    expect(rejected.reason.status).toBe(409);
  });

  it('deletes a network and releases its pool; unknown and predefined are refused', async () => {
    const { ctl, ipam } = make();
    await ctl.createNetwork({ name: 'gone', driver: 'fake', ipam: { config: [{ subnet: '10.9.0.0/24' }] } });
    await ctl.deleteNetwork('gone');
    expect(ipam.pools.size).toBe(0);
    await expect(ctl.deleteNetwork('gone')).rejects.toMatchObject({ status: 404, message: 'network gone not found' });
    await ctl.createNetwork({ name: 'bridge', driver: 'fake' }, { predefined: true });
    await expect(ctl.deleteNetwork('bridge')).rejects.toMatchObject({ status: 403 });
  });
});
