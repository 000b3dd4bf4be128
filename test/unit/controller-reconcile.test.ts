/**
 * reconcile() after a simulated crash: a second controller on the same store, with a fresh
 * fake driver and SandboxOs standing for a kernel that lost its devices.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Controller } from '../../src/controller/controller.js';
import type { EndpointRecord, NetworkRecord } from '../../src/controller/model.js';
import { DefaultIpam } from '../../ipam/default/default.js';
import { FakeDriver, FakeSandboxOs, makeController, silent, TempDirs } from './controller-fakes.js';

const running = 'r'.repeat(64);
const gone = 'g'.repeat(64);
const pools = { v4Pools: ['10.50.0.0/24', '10.51.0.0/24'], v6Pools: ['fd50::/64'] };

describe('Controller reconcile (fakes, real store and IPAM)', () => {
  const tmp = new TempDirs();
  afterEach(() => tmp.cleanup());

  /** A first daemon life: two networks, a running and a gone container, then "a crash". */
  const firstLife = async () => {
    const dir = tmp.make();
    const t = await makeController(dir);
    const net = await t.ctl.createNetwork({ name: 'n1', driver: 'fake', ipam: { config: [{ subnet: '10.7.0.0/24' }] } });
    await t.ctl.createSandbox(running, 'netns');
    await t.ctl.createSandbox(gone, 'netns');
    const kept = await t.ctl.connect(running, 'n1', { name: 'web' });
    const dropped = await t.ctl.connect(gone, 'n1', { name: 'old' });
    return { dir, ...t, net, kept, dropped, poolId: net.ipv4[0].poolId };
  };

  /** The next life: same store, new IPAM instance, a kernel with nothing in it. */
  const secondLife = (dir: string, store: Awaited<ReturnType<typeof makeController>>['store']) => {
    const ipam = new DefaultIpam(store, pools);
    const driver = new FakeDriver();
    const sos = new FakeSandboxOs();
    const ctl = new Controller({ store, drivers: [driver], ipams: [ipam], netnsDir: path.join(dir, 'netns'), os: sos, logger: silent });
    return { ctl, ipam, driver, sos };
  };

  it('re-pins running sandboxes, drops gone ones, re-creates lost networks and default routes', async () => {
    const { dir, store, net, kept, dropped, poolId } = await firstLife();
    const next = secondLife(dir, store);
    await next.ctl.reconcile((id) => (id === running ? 4242 : undefined));
    const nsPath = path.join(dir, 'netns', running.slice(0, 12));
    expect(next.sos.pinned).toEqual([{ pid: 4242, nsPath }]);
    // The gone container's sandbox, endpoint and address are released.
    expect(next.ctl.getSandbox(gone)).toBeUndefined();
    expect(await store.get(`sandbox/${gone}`)).toBeUndefined();
    expect(await store.get(`endpoint/${dropped.id}`)).toBeUndefined();
    expect(await next.ipam.listAddresses(poolId)).not.toContain(dropped.ipv4!.split('/')[0]);
    // The network's device the kernel lost is back, with the running endpoint on it.
    expect(next.driver.created).toEqual(['n1']);
    expect(next.driver.restored).toEqual([{ network: 'n1', endpoints: [kept.id] }]);
    expect(next.driver.joined.has(kept.id)).toBe(true);
    expect(next.sos.defaultRoutes.get(nsPath)).toEqual({ ifName: 'eth0', gateway4: net.ipv4[0].gateway!.split('/')[0] });
    expect(await next.ipam.listAddresses(poolId)).toContain(kept.ipv4!.split('/')[0]);
    expect(next.ctl.findNetwork('n1').id).toBe(net.id);
  });

  it('rolls back an endpoint of a running container that cannot be plumbed again, and still starts', async () => {
    const { dir, store, kept, poolId } = await firstLife();
    const next = secondLife(dir, store);
    next.driver.failJoin = true;
    await next.ctl.reconcile((id) => (id === running ? 4242 : undefined));
    expect(next.ctl.sandboxEndpoints(running)).toEqual([]);
    expect(await store.get(`endpoint/${kept.id}`)).toBeUndefined();
    expect(await next.ipam.listAddresses(poolId)).not.toContain(kept.ipv4!.split('/')[0]);
    expect(next.ctl.getSandbox(running)).toBeDefined();
    expect(next.driver.created).toEqual(['n1']);
  });

  it('rolls back records left in `creating` state: their addresses and pools are released', async () => {
    const { dir, store, ipam, net, kept, poolId } = await firstLife();
    // A connect that crashed after the IPAM call: a creating record naming its address.
    const half = { ...kept, id: 'e'.repeat(64), name: 'half', ifName: 'eth1', state: 'creating' } as EndpointRecord;
    half.ipv4 = await ipam.requestAddress(poolId, '10.7.0.99');
    await store.put(`endpoint/${half.id}`, half);
    // A network create that crashed after its pool was reserved.
    const pool = await ipam.requestPool({ pool: '10.9.0.0/24', v6: false, avoid: [] });
    const halfNet: NetworkRecord = {
      ...net, id: 'f'.repeat(64), name: 'halfnet', state: 'creating', ipv4: [{ poolId: pool.poolId, subnet: pool.pool, auxAddresses: {} }],
    };
    await store.put(`network/${halfNet.id}`, halfNet);

    const next = secondLife(dir, store);
    await next.ctl.reconcile((id) => (id === running ? 1 : undefined));
    expect(await store.get(`endpoint/${half.id}`)).toBeUndefined();
    expect(await next.ipam.listAddresses(poolId)).not.toContain('10.7.0.99');
    expect(next.ctl.sandboxEndpoints(running).map((e) => e.id)).toEqual([kept.id]);
    expect(await store.get(`network/${halfNet.id}`)).toBeUndefined();
    expect(await next.ipam.listPools()).not.toContain(pool.poolId);
    expect(next.ctl.listNetworks().map((n) => n.name)).toEqual(['n1']);
  });

  it('releases IPAM reservations no record owns, and keeps those that are owned', async () => {
    const { dir, store, ipam, net, kept, poolId } = await firstLife();
    // Crashes between the IPAM call and the record: an address and a pool owned by nobody.
    await ipam.requestAddress(poolId, '10.7.0.200');
    const orphanPool = await ipam.requestPool({ v6: false, avoid: [] });
    const next = secondLife(dir, store);
    await next.ctl.reconcile((id) => (id === running ? 1 : undefined));
    const addrs = await next.ipam.listAddresses(poolId);
    expect(addrs).not.toContain('10.7.0.200');
    expect(addrs).toContain(kept.ipv4!.split('/')[0]);
    expect(addrs).toContain(net.ipv4[0].gateway!.split('/')[0]);
    const left = await next.ipam.listPools();
    expect(left).not.toContain(orphanPool.poolId);
    expect(left).toContain(poolId);
  });
});
