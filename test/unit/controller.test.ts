/** Controller logic with fake drivers (pure logic: validation order and rollback). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Controller } from '../../src/controller/controller.js';
import { LmdbStore } from '../../src/store/lmdb.js';
import { FakeDriver, FakeIpam, FakeSandboxOs } from './controller-fakes.js';

const fakeHost = new FakeSandboxOs();
fakeHost.routes = ['172.18.0.0/16'];

describe('Controller (fake driver and IPAM)', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });
  const make = async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ctl-'));
    dirs.push(dir);
    const store = await LmdbStore.open(dir);
    const ipam = new FakeIpam();
    const driver = new FakeDriver();
    const ctl = new Controller({
      store, drivers: [driver], ipams: [ipam], netnsDir: path.join(dir, 'netns'), os: fakeHost, logger: pino({ level: 'silent' }),
    });
    return { ctl, ipam, driver, store };
  };

  it('creates a network: pool, gateway and aux addresses, persisted; host routes are passed to IPAM as avoid', async () => {
    const { ctl, ipam, store } = await make();
    const config = [{ subnet: '10.1.0.0/24', auxAddresses: { r: '10.1.0.9' } }];
    const n = await ctl.createNetwork({ name: 'n1', driver: 'fake', ipam: { config } });
    expect(n.ipv4[0]).toMatchObject({ subnet: '10.1.0.0/24', auxAddresses: { r: '10.1.0.9' } });
    expect(n.ipv4[0].gateway).toMatch(/^10\.1\.0\.\d+\/24$/);
    expect((await store.list('network/')).length).toBe(1);
    expect(ipam.requests[0].avoid).toEqual(['172.18.0.0/16']);
    expect(ctl.findNetwork('n1').id).toBe(n.id);
    expect(ctl.findNetwork(n.id.slice(0, 5)).name).toBe('n1');
  });

  it('validates before allocating: nothing is reserved for a refused request', async () => {
    const { ctl, ipam, store } = await make();
    const bad = [
      { name: '', driver: 'fake' },
      { name: '  ', driver: 'fake' },
      { name: 'a\nb', driver: 'fake' },
      { name: 'n', driver: 'nope' },
      { name: 'n', driver: 'fake', ipam: { config: [{ subnet: 'nonsense' }] } },
      { name: 'n', driver: 'fake', ipam: { config: [{ subnet: '10.0.0.0/24', gateway: '10.0.1.1' }] } },
      { name: 'n', driver: 'fake', ipam: { config: [{ subnet: '10.0.0.0/24', ipRange: '10.0.0.0/16' }] } },
      { name: 'n', driver: 'fake', options: { bad: '1' } },
    ];
    for (const req of bad) {
      await expect(ctl.createNetwork(req)).rejects.toHaveProperty('status');
    }
    expect(ipam.requests.length).toBe(0);
    expect(await store.list('')).toEqual([]);
  });

  it('keeps IPv6 configs given without EnableIPv6 for inspect, allocating nothing from them, as dockerd does', async () => {
    const { ctl, ipam } = await make();
    const n = await ctl.createNetwork({ name: 'v6off', driver: 'fake', ipam: { config: [{ subnet: '10.9.0.0/24' }, { subnet: 'fd00:9::/64' }] } });
    expect(n.enableIPv6).toBe(false);
    expect(n.ipv6).toEqual([]);
    expect(n.ipv6Unused).toEqual([{ subnet: 'fd00:9::/64' }]);
    expect(ipam.requests.filter((r) => JSON.stringify(r).includes('fd00'))).toEqual([]);
  });

  it('takes a network name with spaces, as libnetwork does', async () => {
    const { ctl } = await make();
    const n = await ctl.createNetwork({ name: 'test 01', driver: 'fake' });
    expect(ctl.findNetwork('test 01').id).toBe(n.id);
  });

  it('rolls back pools and records when the driver fails half-way', async () => {
    const { ctl, ipam, driver, store } = await make();
    driver.failCreate = true;
    const req = { name: 'n1', driver: 'fake', ipam: { config: [{ subnet: '10.1.0.0/24' }] } };
    await expect(ctl.createNetwork(req)).rejects.toThrow(/kernel said no/);
    expect(ipam.pools.size).toBe(0);
    expect(await store.list('network/')).toEqual([]);
    expect(ctl.listNetworks()).toEqual([]);
    driver.failCreate = false;
    await ctl.createNetwork({ name: 'n1', driver: 'fake', ipam: { config: [{ subnet: '10.1.0.0/24' }] } });
    expect(driver.created).toEqual(['n1']);
  });

  it('refuses duplicate names, also when two creates race', async () => {
    const { ctl } = await make();
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
    const { ctl, ipam } = await make();
    await ctl.createNetwork({ name: 'gone', driver: 'fake', ipam: { config: [{ subnet: '10.9.0.0/24' }] } });
    await ctl.deleteNetwork('gone');
    expect(ipam.pools.size).toBe(0);
    await expect(ctl.deleteNetwork('gone')).rejects.toMatchObject({ status: 404, message: 'network gone not found' });
    await ctl.createNetwork({ name: 'bridge', driver: 'fake' }, { predefined: true });
    await expect(ctl.deleteNetwork('bridge')).rejects.toMatchObject({ status: 403 });
  });
});
