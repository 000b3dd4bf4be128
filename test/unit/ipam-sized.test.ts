/** `--subnet 0.0.0.0/24` / `::/64`: a subnet of that size from the default pools. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DefaultIpam } from '../../ipam/default/default.js';
import { Conflict, InvalidArgument } from '../../src/util/errors.js';
import { LmdbStore } from '../../src/store/lmdb.js';

let dir: string;
let store: LmdbStore;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ipam-sized-'));
  store = await LmdbStore.open(dir);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a subnet asked for by size', () => {
  it('takes the first free subnet of that size in the default pools, past taken and avoided ones', async () => {
    const ipam = new DefaultIpam(store, { v4Pools: ['10.50.0.0/16', '10.60.0.0/16'], v6Pools: ['fd00:1::/64', 'fd00:2::/64'] });
    expect((await ipam.requestPool({ pool: '0.0.0.0/24', v6: false })).pool).toBe('10.50.0.0/24');
    expect((await ipam.requestPool({ pool: '0.0.0.0/24', v6: false })).pool).toBe('10.50.1.0/24');
    expect((await ipam.requestPool({ pool: '0.0.0.0/24', v6: false, avoid: ['10.50.2.0/23'] })).pool).toBe('10.50.4.0/24');
    expect((await ipam.requestPool({ pool: '0.0.0.0/16', v6: false })).pool).toBe('10.60.0.0/16');
    expect((await ipam.requestPool({ pool: '::/64', v6: true })).pool).toBe('fd00:1::/64');
    expect((await ipam.requestPool({ pool: '::/80', v6: true })).pool).toBe('fd00:2::/80');
  });

  it('refuses a size no pool can hold, and an ip-range with it', async () => {
    const ipam = new DefaultIpam(store, { v4Pools: ['10.50.0.0/16'], v6Pools: ['fd00:1::/64'] });
    await expect(ipam.requestPool({ pool: '0.0.0.0/8', v6: false })).rejects.toBeInstanceOf(Conflict);
    await expect(ipam.requestPool({ pool: '0.0.0.0/24', subPool: '0.0.0.0/25', v6: false })).rejects.toBeInstanceOf(InvalidArgument);
  });
});
