/**
 * One operation, one commit: the daemon is killed (failpoints) inside a connect and inside
 * a network create, before and after their kernel work. The store it leaves must hold no
 * IPAM allocation that no record owns and no record whose allocation is missing; after the
 * restart the freed addresses and subnets are given out again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LmdbStore } from '../../src/store/lmdb.js';
import { TestDaemon, waitFor } from '../helpers/daemon.js';

interface Pool { subnet: string; gateway?: string; auxAddresses: { [k: string]: string } }
const plain = (cidr: string) => cidr.split('/')[0];

/** What the store holds that breaks ownership, read with the daemon down. */
async function strays(root: string): Promise<string[]> {
  const s = await LmdbStore.open(root);
  try {
    const nets = (await s.list<{ name: string; ipv4: Pool[] }>('network/')).map((r) => r.value);
    const eps = (await s.list<{ id: string; ipv4?: string }>('endpoint/')).map((r) => r.value);
    const owned = new Set<string>();
    for (const p of nets.flatMap((n) => n.ipv4)) {
      if (p.gateway) owned.add(plain(p.gateway));
      for (const a of Object.values(p.auxAddresses)) owned.add(a);
    }
    for (const e of eps) if (e.ipv4) owned.add(plain(e.ipv4));
    const out: string[] = [];
    const allocated = new Set<string>();
    const index = (await s.get<{ pools: string[] }>('ipam/local/index'))?.value.pools ?? [];
    for (const cidr of index) {
      if (!nets.some((n) => n.ipv4.some((p) => p.subnet === cidr))) out.push(`pool ${cidr} without network`);
      for (const a of (await s.get<{ allocated: string[] }>(`ipam/local/pool/${cidr}`))?.value.allocated ?? []) {
        allocated.add(a);
        if (!owned.has(a)) out.push(`address ${a} without owner`);
      }
    }
    for (const n of nets) for (const p of n.ipv4) if (!index.includes(p.subnet)) out.push(`network ${n.name}: pool ${p.subnet} not reserved`);
    for (const a of owned) if (!allocated.has(a)) out.push(`address ${a} recorded but not reserved`);
    return out;
  } finally {
    await s.close();
  }
}

describe('kill -9 inside an operation leaves its allocations whole (failpoints)', () => {
  let d: TestDaemon;

  beforeAll(async () => {
    d = new TestDaemon('nftables');
    await d.start();
  }, 30_000);

  afterAll(async () => {
    if (process.env.WEFT_TEST_LOG) console.log(d?.log.slice(-5000));
    await d?.destroy();
  });

  /** Restart with the failpoint armed, run op (its request dies with the daemon), and check the store left behind. */
  async function crashAt(point: string, op: () => Promise<unknown>): Promise<string[]> {
    await d.stop();
    d.env = { WEFT_FAILPOINTS: point };
    await d.start();
    d.env = {};
    await op().catch(() => undefined);
    await waitFor(() => d.child!.exitCode !== null || d.child!.signalCode !== null, `daemon killed at ${point}`);
    const left = await strays(d.root);
    await d.start();
    return left;
  }

  const create = (name: string, network: string) =>
    d.api('POST', `/v1.50/containers/create?name=${name}`, { Image: 'busybox', Cmd: ['sleep', '100000'], HostConfig: { NetworkMode: network } });
  const address = async (name: string, network: string) =>
    (await d.api('GET', `/v1.50/containers/${name}/json`)).body.NetworkSettings.Networks[network]?.IPAddress;

  it('connect: the address taken before a crash is free again after the restart', async () => {
    // Two addresses to give out: one leaked address would fail the second start.
    const net = await d.api('POST', '/v1.50/networks/create', {
      Name: 'lmdbnet', IPAM: { Config: [{ Subnet: '10.231.0.0/24', IPRange: '10.231.0.8/31' }] },
    });
    expect(net.status, net.text).toBe(201);
    for (const c of ['lmdba', 'lmdbb']) expect((await create(c, 'lmdbnet')).status).toBe(201);
    expect(await crashAt('endpoint.create.recorded', () => d.api('POST', '/v1.50/containers/lmdba/start'))).toEqual([]);
    expect(await crashAt('endpoint.create.published', () => d.api('POST', '/v1.50/containers/lmdbb/start'))).toEqual([]);
    for (const c of ['lmdba', 'lmdbb']) {
      const r = await d.api('POST', `/v1.50/containers/${c}/start`);
      expect(r.status, r.text).toBe(204);
    }
    expect([await address('lmdba', 'lmdbnet'), await address('lmdbb', 'lmdbnet')].sort()).toEqual(['10.231.0.8', '10.231.0.9']);
    for (const c of ['lmdba', 'lmdbb']) expect((await d.api('DELETE', `/v1.50/containers/${c}?force=1`)).status).toBe(204);
    expect((await d.api('DELETE', '/v1.50/networks/lmdbnet')).status).toBe(204);
  }, 120_000);

  it('connect with a random host port: a crash after the DNAT leaves no rule once restarted', async () => {
    const net = await d.api('POST', '/v1.50/networks/create', {
      Name: 'lmdbnet3', IPAM: { Config: [{ Subnet: '10.233.0.0/24', IPRange: '10.233.0.8/31' }] },
    });
    expect(net.status, net.text).toBe(201);
    const c = await d.api('POST', '/v1.50/containers/create?name=lmdbp', {
      Image: 'busybox', Cmd: ['sleep', '100000'], ExposedPorts: { '80/tcp': {} },
      HostConfig: { NetworkMode: 'lmdbnet3', PortBindings: { '80/tcp': [{ HostPort: '' }] } },
    });
    expect(c.status, c.text).toBe(201);
    // The record committed before the kernel work names the address and the port picked.
    expect(await crashAt('endpoint.create.published', () => d.api('POST', '/v1.50/containers/lmdbp/start'))).toEqual([]);
    expect(d.host.sh('nft list ruleset')).not.toContain('10.233.0.8');
    const r = await d.api('POST', '/v1.50/containers/lmdbp/start');
    expect(r.status, r.text).toBe(204);
    expect(await address('lmdbp', 'lmdbnet3')).toMatch(/^10\.233\.0\.[89]$/);
    expect((await d.api('DELETE', '/v1.50/containers/lmdbp?force=1')).status).toBe(204);
    expect((await d.api('DELETE', '/v1.50/networks/lmdbnet3')).status).toBe(204);
    expect(d.host.sh('nft list ruleset')).not.toContain('10.233.0.');
  }, 120_000);

  it('network create: the subnet reserved before a crash is free again after the restart', async () => {
    const req = { Name: 'lmdbnet2', IPAM: { Config: [{ Subnet: '10.232.0.0/24' }] } };
    for (const point of ['network.create.pools', 'network.create.kernel', 'network.create.ready']) {
      expect(await crashAt(point, () => d.api('POST', '/v1.50/networks/create', req))).toEqual([]);
      expect((await d.api('GET', '/v1.50/networks/lmdbnet2')).status).toBe(404);
    }
    const again = await d.api('POST', '/v1.50/networks/create', req);
    expect(again.status, again.text).toBe(201);
    expect((await d.api('DELETE', '/v1.50/networks/lmdbnet2')).status).toBe(204);
    await d.stop();
    expect(await strays(d.root)).toEqual([]);
  }, 120_000);
});
