/**
 * Global-scope paths through a fake cluster membership: the network in the cluster store,
 * the endpoint published, weft_gwbridge attached and detached, remote endpoints blocking a delete.
 */
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClusterEndpoint } from '../../src/contracts/peers.js';
import { Controller } from '../../src/controller/controller.js';
import { StorePeerSource } from '../../src/cluster/peers.js';
import { LmdbStore } from '../../src/store/lmdb.js';
import { DefaultIpam } from '../../ipam/default/default.js';
import { FakeDriver, FakeMembership, FakeSandboxOs, silent, TempDirs } from './controller-fakes.js';

const sbId = 's'.repeat(64);
const web = { proto: 'tcp' as const, hostIp: '', hostPort: 8080, containerPort: 80 };

describe('Controller in a cluster (fake membership and drivers)', () => {
  const tmp = new TempDirs();
  afterEach(() => tmp.cleanup());

  const make = async () => {
    const dir = tmp.make();
    const store = await LmdbStore.open(dir);
    const cluster = new FakeMembership();
    const peers = new StorePeerSource(cluster.store, cluster.hostId);
    await peers.start();
    const bridge = new FakeDriver('bridge');
    const overlay = new FakeDriver('overlay', 'global');
    overlay.offersGateway = false;
    const sos = new FakeSandboxOs();
    const ctl = new Controller({
      store,
      drivers: [bridge, overlay],
      ipams: [new DefaultIpam(store, { v4Pools: ['10.60.0.0/24'], v6Pools: ['fd60::/64'] })],
      globalIpams: [new DefaultIpam(cluster.store, { space: 'global', v4Pools: ['10.0.1.0/24'], v6Pools: ['fd61::/64'] })],
      netnsDir: path.join(dir, 'netns'),
      os: sos,
      logger: silent,
      cluster,
      peers,
    });
    await ctl.reconcile(() => 1);
    return { ctl, store, cluster, peers, sos };
  };

  it('a global network is recorded and its name claimed in the cluster store', async () => {
    const { ctl, store, cluster } = await make();
    const n = await ctl.createNetwork({ name: 'ov', driver: 'overlay' });
    expect(n.scope).toBe('global');
    expect((await cluster.store.get(`network/${n.id}`))?.value).toMatchObject({ name: 'ov', state: 'ready' });
    expect((await cluster.store.get('netname/ov'))?.value).toBe(n.id);
    expect(await store.list('network/')).toEqual([]);
    await ctl.deleteNetwork('ov');
    expect(await cluster.store.get('netname/ov')).toBeUndefined();
    expect(await cluster.store.get(`network/${n.id}`)).toBeUndefined();
  });

  it('connect publishes the endpoint and gives a way out through weft_gwbridge carrying its ports', async () => {
    const { ctl, cluster, sos } = await make();
    const n = await ctl.createNetwork({ name: 'ov', driver: 'overlay' });
    const sb = await ctl.createSandbox(sbId, 'netns');
    const ep = await ctl.connect(sbId, 'ov', { name: 'web', aliases: ['w'], portBindings: [web] });
    expect(await cluster.publishedEndpoints(n.id)).toEqual([{
      id: ep.id, name: 'web', networkId: n.id, host: 'me', vtep: '192.0.2.1', mac: ep.mac, aliases: ['w'], ipv4: ep.ipv4,
    }]);
    const [ov, gw] = ctl.sandboxEndpoints(sbId);
    expect(ov.id).toBe(ep.id);
    expect(ov.portBindings).toEqual([]);
    expect(ctl.findNetwork(gw.networkId).name).toBe('weft_gwbridge');
    expect(gw).toMatchObject({ ifName: 'eth1', portBindings: [web] });
    expect(sos.defaultRoutes.get(sb.nsPath!)?.ifName).toBe('eth1');

    await ctl.disconnect(sbId, 'ov');
    expect(await cluster.publishedEndpoints()).toEqual([]);
    expect(ctl.sandboxEndpoints(sbId)).toEqual([]);
  });

  it('another host\'s endpoints are visible and block the delete, with its host named', async () => {
    const { ctl, cluster } = await make();
    const n = await ctl.createNetwork({ name: 'ov', driver: 'overlay' });
    const remote: ClusterEndpoint = {
      id: 'r'.repeat(64), name: 'db', networkId: n.id, host: 'other', vtep: '192.0.2.2', mac: '02:42:0a:00:01:05', ipv4: '10.0.1.5/24',
    };
    await cluster.store.put(`endpoint/${n.id}/${remote.id}`, remote);
    expect(ctl.remoteEndpointsOf(n.id)).toEqual([remote]);
    await expect(ctl.deleteNetwork('ov')).rejects.toMatchObject({
      status: 403,
      message: `error while removing network: network ov has active endpoints (name:"db" id:"${'r'.repeat(12)}" host:"192.0.2.2")`,
    });
    await cluster.store.delete(`endpoint/${n.id}/${remote.id}`);
    expect(ctl.remoteEndpointsOf(n.id)).toEqual([]);
    await ctl.deleteNetwork('ov');
  });

  it('mirrors a global network another host creates, and drops it when that host deletes it', async () => {
    const { ctl, cluster } = await make();
    const id = 'n'.repeat(64);
    const rec = {
      id, name: 'theirs', driver: 'overlay', scope: 'global', internal: false, attachable: false, enableIPv6: false,
      options: {}, labels: {}, ipv4: [], ipv6: [], created: '', ipamDriver: 'default', ipamOptions: {},
      userSubnets: false, predefined: false, state: 'ready',
    };
    await cluster.store.put(`network/${id}`, rec);
    await vi.waitFor(() => expect(ctl.findNetwork('theirs').id).toBe(id));
    await cluster.store.delete(`network/${id}`);
    await vi.waitFor(() => expect(ctl.listNetworks().map((n) => n.name)).not.toContain('theirs'));
    await ctl.closeCluster();
  });
});
