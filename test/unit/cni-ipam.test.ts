/** weft-ipam's core: the default IPAM over the state directory's file store. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IpamConf } from '../../src/cni/config.js';
import { CniIpam } from '../../src/cni/ipam.js';
import { withState } from '../../src/cni/state-dir.js';

const conf: IpamConf = {
  type: 'weft-ipam', ranges: [[{ subnet: '10.5.0.0/30' }, { subnet: '10.6.0.0/24', gateway: '10.6.0.254' }]], routes: [],
};
const at = (containerId: string) => ({ containerId, ifname: 'eth0' });

describe('CniIpam on a state directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wc-ipam-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const ipam = <T>(fn: (i: CniIpam) => Promise<T>) => withState(dir, (s) => fn(new CniIpam(s.store, 'n')));

  it('takes the next range of a set when one is full, and survives a reopen', async () => {
    const a = await ipam((i) => i.add(conf, at('a'), []));
    expect(a.ips).toEqual([{ address: '10.5.0.2/30', gateway: '10.5.0.1' }]);
    const b = await ipam((i) => i.add(conf, at('b'), []));
    expect(b.ips).toEqual([{ address: '10.6.0.1/24', gateway: '10.6.0.254' }]);
    expect((await ipam((i) => i.add(conf, at('a'), []))).ips).toEqual(a.ips);
    expect(await ipam((i) => i.owned(at('b')))).toEqual(['10.6.0.1/24']);
  });

  it('honours a requested address and refuses one outside the ranges', async () => {
    expect((await ipam((i) => i.add(conf, at('a'), ['10.6.0.77']))).ips[0].address).toBe('10.6.0.77/24');
    await expect(ipam((i) => i.add(conf, at('b'), ['10.6.0.77']))).rejects.toMatchObject({ code: 101 });
    await expect(ipam((i) => i.add(conf, at('c'), ['10.9.0.1']))).rejects.toMatchObject({ code: 7 });
    expect(await ipam((i) => i.owned(at('b')))).toBeUndefined();
  });

  it('releases on del (twice is fine) and gc keeps only the valid attachments', async () => {
    for (const id of ['a', 'b', 'c']) await ipam((i) => i.add(conf, at(id), []));
    await ipam((i) => i.del(at('a')));
    await ipam((i) => i.del(at('a')));
    expect(await ipam((i) => i.gc(new Set(['b/eth0'])))).toEqual(['c/eth0']);
    expect(await ipam((i) => i.owned(at('b')))).toBeDefined();
    expect(await ipam((i) => i.owned(at('c')))).toBeUndefined();
    const again = await ipam((i) => i.add(conf, at('d'), []));
    expect(again.ips[0].address).toBe('10.5.0.2/30');
  });

  it('hands out rangeStart..rangeEnd in turn, wrapping, and says when the range is full', async () => {
    const span: IpamConf = { type: 'weft-ipam', ranges: [[{ subnet: '10.7.0.0/24', rangeStart: '10.7.0.10', rangeEnd: '10.7.0.12' }]], routes: [] };
    const got = async (id: string) => (await ipam((i) => i.add(span, at(id), []))).ips[0].address;
    expect([await got('a'), await got('b'), await got('c')]).toEqual(['10.7.0.10/24', '10.7.0.11/24', '10.7.0.12/24']);
    await expect(ipam((i) => i.add(span, at('d'), []))).rejects.toMatchObject({ code: 101 });
    await ipam((i) => i.del(at('a')));
    expect(await got('d')).toBe('10.7.0.10/24');
    // As host-local: a requested address must be inside the span, not only the subnet.
    await ipam((i) => i.del(at('c')));
    expect((await ipam((i) => i.add(span, at('e'), ['10.7.0.12']))).ips[0].address).toBe('10.7.0.12/24');
    await expect(ipam((i) => i.add(span, at('f'), ['10.7.0.99']))).rejects.toMatchObject({ code: 7 });
  });

  it('writes state by rename: no temporary file is left', async () => {
    await ipam((i) => i.add(conf, at('a'), []));
    expect(fs.readdirSync(dir).sort()).toEqual(['lock', 'state.json']);
  });
});
