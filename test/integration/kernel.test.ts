import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns, inNetns, isNetnsMount } from '../../src/kernel/netns.js';
import { Rtnl } from '../../src/kernel/rtnl.js';
import { readSysctl, writeSysctl } from '../../src/kernel/sysctl.js';
import { makeNs, type LabNs } from '../helpers/lab.js';

describe('kernel layer (netlink + namespaces) in a throwaway host namespace', () => {
  let host: LabNs;
  let dir: string;
  let sandbox: string;
  let h: Rtnl;

  beforeAll(() => {
    host = makeNs('kern');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-kern-'));
    sandbox = path.join(dir, 'sb1');
    h = Rtnl.open(host.path);
  });

  afterAll(() => {
    h?.close();
    if (sandbox) deleteNetns(sandbox);
    host?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates and pins a named namespace', () => {
    createNetns(sandbox);
    expect(isNetnsMount(sandbox)).toBe(true);
    expect(() => createNetns(sandbox)).toThrow(/already exists/);
  });

  it('builds bridge + veth with the peer born in the sandbox, addresses and routes, and traffic flows', async () => {
    await h.createBridge('br-k', { mtu: 1400 });
    const br = await h.requireLink('br-k');
    expect(br.kind).toBe('bridge');
    await h.addAddress(br.index, '10.200.0.1/24');
    await h.addAddress(br.index, 'fd00:200::1/64');
    await h.setLink(br.index, { up: true });

    const made = await h.createVeth('vk0', { name: 'eth0', nsPath: sandbox, mtu: 1400, mac: '02:42:0a:c8:00:02' }, { mtu: 1400 });
    const veth = await h.requireLink('vk0');
    expect(made.index).toBe(veth.index);
    await h.setLink(veth.index, { master: br.index, up: true });
    expect((await h.requireLink('vk0')).master).toBe(br.index);
    // The peer never appeared in the host namespace.
    expect(await h.link('eth0')).toBeUndefined();

    const inner = Rtnl.open(sandbox);
    try {
      const eth0 = await inner.requireLink('eth0');
      // The create's echo names the peer's index in the sandbox, so plugVeth needs no lookup.
      expect(made.peerIndex).toBe(eth0.index);
      expect(eth0.mac).toBe('02:42:0a:c8:00:02');
      expect(eth0.mtu).toBe(1400);
      await inner.addAddress(eth0.index, '10.200.0.2/24');
      await inner.addAddress(eth0.index, 'fd00:200::2/64');
      await inner.setLink(eth0.index, { up: true });
      await inner.addRoute({ dst: 'default', gateway: '10.200.0.1' });
      const routes = await inner.routes();
      expect(routes.some((r) => r.dst === '0.0.0.0/0' && r.gateway === '10.200.0.1')).toBe(true);
      expect((await inner.addresses(eth0.index)).map((a) => a.cidr)).toContain('10.200.0.2/24');
    } finally {
      inner.close();
    }
    expect(host.try('ping -c1 -W2 10.200.0.2').code).toBe(0);
    expect(host.try('ping -6 -c1 -W2 fd00:200::2').code).toBe(0);
    // Adding the same address twice is fine (idempotent for reconciliation).
    await h.addAddress(br.index, '10.200.0.1/24');
  });

  it('sysctls act in the namespace they are written in', () => {
    writeSysctl('net/ipv4/ip_forward', '1', host.path);
    expect(host.sh('cat /proc/sys/net/ipv4/ip_forward').trim()).toBe('1');
    expect(readSysctl('net/ipv4/ip_forward', host.path)).toBe('1');
    expect(inNetns(sandbox, () => fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim())).toBe('0');
  });

  it('deleting the host side removes the pair; delete is idempotent', async () => {
    expect(await h.deleteLink('vk0')).toBe(true);
    expect(await h.deleteLink('vk0')).toBe(false);
    expect(await h.deleteLink('br-k')).toBe(true);
    deleteNetns(sandbox);
    expect(isNetnsMount(sandbox)).toBe(false);
    expect(fs.existsSync(sandbox)).toBe(false);
  });
});
