/**
 * LinkDeleter (src/kernel/link-deleter.ts): a veth pair deleted off the daemon's thread is
 * gone from every view — both ends, the peer's addresses and routes — when deletePair
 * resolves. Its worker thread is built JavaScript, so the module is loaded from dist (run
 * `npm run build` first, as for every integration test).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns } from '../../src/kernel/netns.js';
import { Rtnl } from '../../src/kernel/rtnl.js';
import type { LinkDeleter as Deleter } from '../../src/kernel/link-deleter.js';
import { makeNs, type LabNs } from '../helpers/lab.js';

const DIST = path.resolve(__dirname, '../../dist/src/kernel/link-deleter.js');

describe('LinkDeleter', () => {
  let host: LabNs;
  let dir: string;
  let sandbox: string;
  let h: Rtnl;
  let inner: Rtnl;
  let deleter: Deleter;

  beforeAll(async () => {
    host = makeNs('lkdel');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-lkdel-'));
    sandbox = path.join(dir, 'sb');
    createNetns(sandbox);
    h = Rtnl.open(host.path);
    inner = Rtnl.open(sandbox);
    const { LinkDeleter } = (await import(DIST)) as { LinkDeleter: typeof Deleter };
    deleter = new LinkDeleter(host.path);
    await h.createBridge('br-lk');
    await h.setLink((await h.requireLink('br-lk')).index, { up: true });
  });

  afterAll(async () => {
    await deleter?.close();
    inner?.close();
    h?.close();
    if (sandbox) deleteNetns(sandbox);
    host?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('resolves only when both ends, the peer\'s addresses and its routes are gone', async () => {
    const br = await h.requireLink('br-lk');
    for (let round = 0; round < 5; round++) {
      const made = await h.createVeth(`vlk${round}`, { name: 'eth1', nsPath: sandbox }, { master: br.index, up: true });
      await inner.addAddress(made.peerIndex!, `10.77.${round}.2/24`);
      await inner.setLink(made.peerIndex!, { up: true });
      await inner.addRoute({ dst: '10.99.0.0/16', gateway: `10.77.${round}.1` });

      expect(await deleter.deletePair(`vlk${round}`, { nsPath: sandbox, ifName: 'eth1' })).toBe(true);
      expect(await h.link(`vlk${round}`)).toBeUndefined();
      expect(await inner.link('eth1')).toBeUndefined();
      expect((await inner.addresses()).map((a) => a.cidr)).not.toContain(`10.77.${round}.2/24`);
      expect((await inner.routes()).filter((r) => r.dst.startsWith('10.77.') || r.dst.startsWith('10.99.'))).toEqual([]);
    }
  });

  it('deletes several pairs at once, and answers false for a link that is not there', async () => {
    const br = await h.requireLink('br-lk');
    for (let i = 0; i < 4; i++) await h.createVeth(`vlkp${i}`, { name: `eth${i + 2}`, nsPath: sandbox }, { master: br.index });
    const done = await Promise.all([0, 1, 2, 3].map((i) => deleter.deletePair(`vlkp${i}`, { nsPath: sandbox, ifName: `eth${i + 2}` })));
    expect(done).toEqual([true, true, true, true]);
    expect((await h.links()).map((l) => l.name).filter((n) => n.startsWith('vlk'))).toEqual([]);
    expect(await deleter.deletePair('vlknone', { nsPath: sandbox, ifName: 'eth9' })).toBe(false);
    expect(await deleter.deletePair('vlknone')).toBe(false);
  });
});
