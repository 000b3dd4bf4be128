import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DefaultIpam } from '../../ipam/default/default.js';
import { defaultV4Pools, defaultV6Pools } from '../../ipam/default/pools.js';
import { NullIpam } from '../../ipam/null/null.js';
import { Conflict, InvalidArgument } from '../../src/util/errors.js';
import { LmdbStore } from '../../src/store/lmdb.js';

let dir: string;
let store: LmdbStore;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ipam-'));
  store = await LmdbStore.open(dir);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('default pools', () => {
  it('follow Docker: 172.17-31/16 then 192.168/20s', () => {
    const p = defaultV4Pools();
    expect(p[0]).toBe('172.17.0.0/16');
    expect(p[14]).toBe('172.31.0.0/16');
    expect(p[15]).toBe('192.168.0.0/20');
    expect(p[16]).toBe('192.168.16.0/20');
    expect(p).toHaveLength(31);
  });
  it('IPv6 pools are /64s of one ULA /48, stable per seed', () => {
    const a = defaultV6Pools('host-a');
    expect(a[0]).toMatch(/^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:0::\/64$/);
    expect(defaultV6Pools('host-a')).toEqual(a);
    expect(defaultV6Pools('host-b')[0]).not.toBe(a[0]);
  });
});

describe('DefaultIpam', () => {
  it('picks the first free default pool, skipping taken pools and avoided routes', async () => {
    const ipam = new DefaultIpam(store);
    expect((await ipam.requestPool({ v6: false })).pool).toBe('172.17.0.0/16');
    expect((await ipam.requestPool({ v6: false, avoid: ['172.18.5.0/24'] })).pool).toBe('172.19.0.0/16');
    expect((await ipam.requestPool({ v6: false })).pool).toBe('172.18.0.0/16');
  });

  it('refuses overlapping explicit pools and host bits, changing nothing', async () => {
    const ipam = new DefaultIpam(store);
    await ipam.requestPool({ pool: '10.1.0.0/16', v6: false });
    await expect(ipam.requestPool({ pool: '10.1.2.0/24', v6: false })).rejects.toThrow(/overlaps/);
    await expect(ipam.requestPool({ pool: '10.1.2.0/24', v6: false })).rejects.toBeInstanceOf(Conflict);
    await expect(ipam.requestPool({ pool: '10.2.0.5/24', v6: false })).rejects.toThrow(/did you mean 10\.2\.0\.0\/24/);
    await expect(ipam.requestPool({ pool: 'nonsense', v6: false })).rejects.toBeInstanceOf(InvalidArgument);
    await expect(ipam.requestPool({ pool: 'fd00::/64', v6: false })).rejects.toBeInstanceOf(InvalidArgument);
    expect(await ipam.listPools()).toEqual(['local/10.1.0.0/16']);
  });

  it('gateway is the first address; endpoints get the next ones serially; aux is reserved', async () => {
    const ipam = new DefaultIpam(store);
    const { poolId } = await ipam.requestPool({ pool: '10.5.0.0/24', v6: false });
    expect(await ipam.requestAddress(poolId, '10.5.0.2')).toBe('10.5.0.2/24'); // aux
    expect(await ipam.requestAddress(poolId, undefined, { gateway: true })).toBe('10.5.0.1/24');
    expect(await ipam.requestAddress(poolId)).toBe('10.5.0.3/24');
    expect(await ipam.requestAddress(poolId)).toBe('10.5.0.4/24');
    await ipam.releaseAddress(poolId, '10.5.0.3/24');
    // Serial: the released .3 is not handed out again at once.
    expect(await ipam.requestAddress(poolId)).toBe('10.5.0.5/24');
    await expect(ipam.requestAddress(poolId, '10.5.0.4')).rejects.toThrow(/already in use/);
    await expect(ipam.requestAddress(poolId, '10.6.0.4')).rejects.toThrow(/out of range/);
    await expect(ipam.requestAddress(poolId, '10.5.0.255')).rejects.toThrow(/out of range/); // broadcast
    await expect(ipam.requestAddress(poolId, '10.5.0.0')).rejects.toThrow(/out of range/); // network
  });

  it('allocates dynamically only inside the ip-range, statically anywhere in the subnet', async () => {
    const ipam = new DefaultIpam(store);
    const { poolId } = await ipam.requestPool({ pool: '10.7.0.0/16', subPool: '10.7.5.0/30', v6: false });
    expect(await ipam.requestAddress(poolId, undefined, { gateway: true })).toBe('10.7.0.1/16');
    const got = [await ipam.requestAddress(poolId), await ipam.requestAddress(poolId), await ipam.requestAddress(poolId), await ipam.requestAddress(poolId)];
    expect(got).toEqual(['10.7.5.0/16', '10.7.5.1/16', '10.7.5.2/16', '10.7.5.3/16']);
    await expect(ipam.requestAddress(poolId)).rejects.toThrow(/no available addresses/);
    expect(await ipam.requestAddress(poolId, '10.7.9.9')).toBe('10.7.9.9/16');
    await ipam.releaseAddress(poolId, '10.7.5.1');
    expect(await ipam.requestAddress(poolId)).toBe('10.7.5.1/16'); // wraps to the only hole
  });

  it('prefer: a free address given back without moving the cursor; avoid: skipped until nothing else is free', async () => {
    const ipam = new DefaultIpam(store);
    const { poolId } = await ipam.requestPool({ pool: '10.8.0.0/29', v6: false });
    await ipam.requestAddress(poolId, undefined, { gateway: true });
    expect(await ipam.requestAddress(poolId)).toBe('10.8.0.2/29');
    await ipam.releaseAddress(poolId, '10.8.0.2');
    expect(await ipam.requestAddress(poolId, undefined, { prefer: '10.8.0.2' })).toBe('10.8.0.2/29');
    expect(await ipam.requestAddress(poolId)).toBe('10.8.0.3/29'); // the cursor stayed at .2
    expect(await ipam.requestAddress(poolId, undefined, { prefer: '10.8.0.2' })).toBe('10.8.0.4/29'); // taken: the usual pick
    expect(await ipam.requestAddress(poolId, undefined, { avoid: ['10.8.0.5', 'fd00::5'] })).toBe('10.8.0.6/29');
    expect(await ipam.requestAddress(poolId, undefined, { avoid: ['10.8.0.5'] })).toBe('10.8.0.5/29'); // the only free one
    await expect(ipam.requestAddress(poolId, undefined, { avoid: ['10.8.0.5'] })).rejects.toThrow(/no available addresses/);
  });

  it('exhausts a /30 after its two hosts', async () => {
    const ipam = new DefaultIpam(store);
    const { poolId } = await ipam.requestPool({ pool: '10.9.0.0/30', v6: false });
    expect(await ipam.requestAddress(poolId, undefined, { gateway: true })).toBe('10.9.0.1/30');
    expect(await ipam.requestAddress(poolId)).toBe('10.9.0.2/30');
    await expect(ipam.requestAddress(poolId)).rejects.toBeInstanceOf(Conflict);
  });

  it('IPv6: explicit /64 and default ULA pool', async () => {
    const ipam = new DefaultIpam(store, { v6Pools: ['fd12:3456:789a::/64', 'fd12:3456:789a:1::/64'] });
    const a = await ipam.requestPool({ pool: 'fd00:60::/64', v6: true });
    expect(await ipam.requestAddress(a.poolId, undefined, { gateway: true })).toBe('fd00:60::1/64');
    expect(await ipam.requestAddress(a.poolId)).toBe('fd00:60::2/64');
    const b = await ipam.requestPool({ v6: true, avoid: ['fd12:3456:789a::/64'] });
    expect(b.pool).toBe('fd12:3456:789a:1::/64');
  });

  it('state survives a restart: no double allocation, released pools reusable', async () => {
    const ipam = new DefaultIpam(store);
    const { poolId } = await ipam.requestPool({ pool: '10.8.0.0/24', v6: false });
    await ipam.requestAddress(poolId, undefined, { gateway: true });
    expect(await ipam.requestAddress(poolId)).toBe('10.8.0.2/24');
    await store.close();
    store = await LmdbStore.open(dir);
    const again = new DefaultIpam(store);
    expect(await again.requestAddress(poolId)).toBe('10.8.0.3/24');
    await expect(again.requestPool({ pool: '10.8.0.0/25', v6: false })).rejects.toThrow(/overlaps/);
    await again.releasePool(poolId);
    expect((await again.requestPool({ pool: '10.8.0.0/25', v6: false })).pool).toBe('10.8.0.0/25');
  });

  it('two allocators on one store (two hosts) never hand out the same address', async () => {
    const a = new DefaultIpam(store, { space: 'global' });
    const b = new DefaultIpam(store, { space: 'global' });
    const { poolId } = await a.requestPool({ pool: '10.20.0.0/24', v6: false });
    const got = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).requestAddress(poolId)));
    expect(new Set(got).size).toBe(40);
    // And pools: concurrent requests for the default pool get different subnets.
    const pools = await Promise.all([a.requestPool({ v6: false }), b.requestPool({ v6: false })]);
    expect(pools[0].pool).not.toBe(pools[1].pool);
  });
});

describe('NullIpam', () => {
  it('gives a placeholder pool and no addresses', async () => {
    const n = new NullIpam();
    expect((await n.requestPool({ v6: false })).pool).toBe('0.0.0.0/0');
    expect(await n.requestAddress('null/0.0.0.0/0')).toBe('');
    await expect(n.requestPool({ v6: false, pool: '10.0.0.0/8' })).rejects.toBeInstanceOf(InvalidArgument);
  });
});

describe('default IPAM in units of work', () => {
  it('commits reservations with the unit, skips what open units hold, and frees an aborted pick', async () => {
    const ipam = new DefaultIpam(store, { v4Pools: ['10.9.0.0/24', '10.9.1.0/24'] });
    const t1 = store.begin();
    const t2 = store.begin();
    const p1 = await ipam.requestPool({ v6: false }, t1);
    const p2 = await ipam.requestPool({ v6: false }, t2);
    expect([p1.pool, p2.pool]).toEqual(['10.9.0.0/24', '10.9.1.0/24']); // t1's pick is held while open
    expect(await ipam.requestAddress(p1.poolId, undefined, {}, t1)).toBe('10.9.0.1/24'); // reads its own pool
    expect(await ipam.listPools()).toEqual([]); // nothing committed yet
    await t1.commit();
    t2.abort();
    expect(await ipam.listPools()).toEqual([p1.poolId]);
    expect(await ipam.listAddresses(p1.poolId)).toEqual(['10.9.0.1']);
    // The aborted unit's subnet is free again.
    expect((await ipam.requestPool({ v6: false })).pool).toBe('10.9.1.0/24');
    const a = store.begin();
    const b = store.begin();
    const ipA = await ipam.requestAddress(p1.poolId, undefined, {}, a);
    const ipB = await ipam.requestAddress(p1.poolId, undefined, {}, b);
    expect(ipA).not.toBe(ipB);
    await Promise.all([b.commit(), a.commit()]);
    expect((await ipam.listAddresses(p1.poolId)).sort()).toEqual(['10.9.0.1', '10.9.0.2', '10.9.0.3']);
    const rel = store.begin();
    await ipam.releaseAddress(p1.poolId, ipA, rel);
    rel.put('endpoint/x', 'gone with it');
    await rel.commit();
    expect(await ipam.listAddresses(p1.poolId)).not.toContain(ipA.split('/')[0]);
  });
});
