/** connect/disconnect through fakes: records, addresses, default routes, and rollback. */
import { afterEach, describe, expect, it } from 'vitest';
import { makeController, TempDirs } from './controller-fakes.js';

describe('Controller endpoints (fake driver and SandboxOs, real store and IPAM)', () => {
  const tmp = new TempDirs();
  afterEach(() => tmp.cleanup());

  const setup = async () => {
    const t = await makeController(tmp.make());
    const net = await t.ctl.createNetwork({ name: 'n1', driver: 'fake', ipam: { config: [{ subnet: '10.7.0.0/24' }] } });
    const sb = await t.ctl.createSandbox('c'.repeat(64), 'netns');
    return { ...t, net, sb, poolId: net.ipv4[0].poolId };
  };

  it('connect allocates an address, joins, persists a ready record and sets the default route', async () => {
    const { ctl, store, ipam, driver, sos, net, sb, poolId } = await setup();
    const ep = await ctl.connect(sb.id, 'n1', { name: 'web', aliases: ['w'] });
    expect(ep).toMatchObject({ state: 'ready', ifName: 'eth0', networkId: net.id, sandboxId: sb.id, aliases: ['w'] });
    expect(ep.ipv4).toMatch(/^10\.7\.0\.\d+\/24$/);
    expect(ep.mac).toMatch(/^02:42:0a:07:00:/);
    expect(driver.joined.has(ep.id)).toBe(true);
    expect((await store.get(`endpoint/${ep.id}`))?.value).toMatchObject({ state: 'ready', ipv4: ep.ipv4 });
    expect(await ipam.listAddresses(poolId)).toContain(ep.ipv4!.split('/')[0]);
    expect(sos.defaultRoutes.get(sb.nsPath!)).toEqual({ ifName: 'eth0', gateway4: net.ipv4[0].gateway!.split('/')[0] });
    expect(ctl.getSandbox(sb.id)?.gatewayEndpoint).toBe(ep.id);
    expect(ctl.sandboxEndpoints(sb.id).map((e) => e.id)).toEqual([ep.id]);
    expect(ctl.endpointsOf(net.id).map((e) => e.id)).toEqual([ep.id]);
  });

  it('a requested address is honoured; a second one on another network is eth1', async () => {
    const { ctl, sb } = await setup();
    await ctl.createNetwork({ name: 'n2', driver: 'fake', ipam: { config: [{ subnet: '10.8.0.0/24' }] } });
    const a = await ctl.connect(sb.id, 'n1', { name: 'web', ipv4: '10.7.0.77' });
    const b = await ctl.connect(sb.id, 'n2', { name: 'web' });
    expect(a.ipv4).toBe('10.7.0.77/24');
    expect(b.ifName).toBe('eth1');
    await expect(ctl.connect(sb.id, 'n1', { name: 'web' })).rejects.toMatchObject({
      status: 403, message: 'endpoint with name web already exists in network n1',
    });
  });

  it('validation failures allocate nothing', async () => {
    const { ctl, store, ipam, sb, poolId } = await setup();
    const before = await ipam.listAddresses(poolId);
    await expect(ctl.connect(sb.id, 'n1', { name: 'web', ipv4: 'nonsense' })).rejects.toMatchObject({ status: 400 });
    await expect(ctl.connect(sb.id, 'n1', { name: 'web', ipv6: 'fd00::5' })).rejects.toMatchObject({ status: 400 });
    await expect(ctl.connect('nope', 'n1', { name: 'web' })).rejects.toMatchObject({ status: 404 });
    await expect(ctl.connect(sb.id, 'nonet', { name: 'web' })).rejects.toMatchObject({ status: 404, message: 'network nonet not found' });
    expect(await ipam.listAddresses(poolId)).toEqual(before);
    expect(await store.list('endpoint/')).toEqual([]);
  });

  it('when the driver join fails, nothing is left: no record, no address, no endpoint', async () => {
    const { ctl, store, ipam, driver, sos, sb, poolId } = await setup();
    const before = await ipam.listAddresses(poolId);
    driver.failJoin = true;
    await expect(ctl.connect(sb.id, 'n1', { name: 'web', ipv4: '10.7.0.50' })).rejects.toThrow('join failed');
    expect(await ipam.listAddresses(poolId)).toEqual(before);
    expect(await store.list('endpoint/')).toEqual([]);
    expect(ctl.sandboxEndpoints(sb.id)).toEqual([]);
    expect(driver.joined.size).toBe(0);
    expect(sos.defaultRoutes.size).toBe(0);
    expect(ctl.getSandbox(sb.id)?.gatewayEndpoint).toBeUndefined();
    // The same address can be taken right after.
    driver.failJoin = false;
    expect((await ctl.connect(sb.id, 'n1', { name: 'web', ipv4: '10.7.0.50' })).ipv4).toBe('10.7.0.50/24');
  });

  it('disconnect releases the address and the record, and moves the default route to the next endpoint', async () => {
    const { ctl, store, ipam, driver, sos, sb, poolId } = await setup();
    const n2 = await ctl.createNetwork({ name: 'n2', driver: 'fake', ipam: { config: [{ subnet: '10.8.0.0/24' }] } });
    const a = await ctl.connect(sb.id, 'n1', { name: 'web' });
    const b = await ctl.connect(sb.id, 'n2', { name: 'web' });
    expect(sos.defaultRoutes.get(sb.nsPath!)?.ifName).toBe('eth0');
    await ctl.disconnect(sb.id, 'n1');
    expect(await ipam.listAddresses(poolId)).not.toContain(a.ipv4!.split('/')[0]);
    expect(await store.get(`endpoint/${a.id}`)).toBeUndefined();
    expect(driver.joined.has(a.id)).toBe(false);
    expect(sos.defaultRoutes.get(sb.nsPath!)).toEqual({ ifName: 'eth1', gateway4: n2.ipv4[0].gateway!.split('/')[0] });
    expect((await store.get<{ gatewayEndpoint?: string }>(`sandbox/${sb.id}`))?.value.gatewayEndpoint).toBe(b.id);
    await expect(ctl.disconnect(sb.id, 'n1')).rejects.toMatchObject({
      status: 404, message: `container ${sb.id.slice(0, 12)} is not connected to network n1`,
    });
  });

  it('a network with endpoints cannot be deleted (dockerd wording), and can once they left', async () => {
    const { ctl, sb } = await setup();
    const ep = await ctl.connect(sb.id, 'n1', { name: 'web' });
    await expect(ctl.deleteNetwork('n1')).rejects.toMatchObject({
      status: 403,
      message: `error while removing network: network n1 has active endpoints (name:"web" id:"${ep.id.slice(0, 12)}")`,
    });
    await ctl.disconnect(sb.id, 'n1');
    await ctl.deleteNetwork('n1');
    expect(ctl.listNetworks()).toEqual([]);
  });

  it('concurrent connects of one sandbox get distinct interfaces and addresses', async () => {
    const { ctl, sb } = await setup();
    await ctl.createNetwork({ name: 'n2', driver: 'fake', ipam: { config: [{ subnet: '10.8.0.0/24' }] } });
    const [a, b] = await Promise.all([ctl.connect(sb.id, 'n1', { name: 'web' }), ctl.connect(sb.id, 'n2', { name: 'web' })]);
    expect(new Set([a.ifName, b.ifName])).toEqual(new Set(['eth0', 'eth1']));
  });
});
