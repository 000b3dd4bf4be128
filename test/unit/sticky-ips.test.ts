/** The memory of sticky addresses in the store: remembered on release, planned on connect, dropped once given away. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EndpointRecord, NetworkRecord } from '../../src/controller/model.js';
import { STICKY, STICKY_MAX, claimed, remember, stickyEnabled, stickyPlan, validateStickyOption } from '../../src/controller/sticky-ips.js';
import { LmdbStore } from '../../src/store/lmdb.js';

let dir: string;
let store: LmdbStore;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-sticky-'));
  store = await LmdbStore.open(dir);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const n = (options: { [k: string]: string } = {}, scope = 'local') => ({ id: 'net1', scope, options }) as unknown as NetworkRecord;
const ep = (name: string, ipv4: string, extra: Partial<EndpointRecord> = {}) => ({ name, ipv4, ...extra }) as EndpointRecord;

async function commit(fn: (tx: ReturnType<LmdbStore['begin']>) => void): Promise<void> {
  const tx = store.begin();
  fn(tx);
  await tx.commit();
}

describe('sticky addresses', () => {
  it('on for user-defined local networks, off on the default bridge and global ones, or as the option says', () => {
    expect(stickyEnabled(n())).toBe(true);
    expect(stickyEnabled(n({ 'com.docker.network.bridge.default_bridge': 'true' }))).toBe(false);
    expect(stickyEnabled(n({ 'weft.sticky-ips': 'false' }))).toBe(false);
    expect(stickyEnabled(n({}, 'global'))).toBe(false);
    expect(() => validateStickyOption({ 'weft.sticky-ips': 'yes' })).toThrow('weft.sticky-ips must be true or false');
    expect(() => validateStickyOption({ 'weft.sticky-ips': 'true' })).not.toThrow();
  });

  it('prefers its own, avoids the others, forgets an address given away; --ip addresses are not remembered', async () => {
    await commit((tx) => {
      remember(tx, n(), ep('a', '10.0.0.2/24'));
      remember(tx, n(), ep('b', '10.0.0.3/24'));
      remember(tx, n(), ep('c', '10.0.0.4/24', { requestedIpv4: '10.0.0.4' }));
    });
    expect(await stickyPlan(store.begin(), n(), 'a')).toEqual({ prefer: { ipv4: '10.0.0.2', ipv6: undefined }, avoid: ['10.0.0.3'] });
    await commit((tx) => claimed(tx, n(), ep('x', '10.0.0.3/24')));
    expect(await stickyPlan(store.begin(), n(), 'a')).toEqual({ prefer: { ipv4: '10.0.0.2', ipv6: undefined }, avoid: [] });
    await commit((tx) => claimed(tx, n(), ep('a', '10.0.0.2/24')));
    expect(await store.get(STICKY + 'net1')).toBeUndefined();
    expect(await stickyPlan(store.begin(), n({ 'weft.sticky-ips': 'false' }), 'a')).toEqual({ prefer: {}, avoid: [] });
  });

  it(`keeps the ${STICKY_MAX} most recent names`, async () => {
    await commit((tx) => {
      for (let i = 0; i <= STICKY_MAX; i++) remember(tx, n(), ep(`c${i}`, `10.1.${i >> 8}.${i & 255}/16`), 1000 + i);
    });
    const plan = await stickyPlan(store.begin(), n(), 'c0');
    expect(plan.prefer).toEqual({});
    expect(plan.avoid).toHaveLength(STICKY_MAX);
  });
});
