import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns } from '../../src/kernel/netns.js';
import { NetlinkError, Rtnl } from '../../src/kernel/rtnl.js';
import { addressRequest, setLinkRequest } from '../../src/kernel/rtnl-requests.js';
import { plugVeth } from '../../src/kernel/veth.js';
import { makeNs, type LabNs } from '../helpers/lab.js';

describe('rtnetlink requests of one endpoint in one batch', () => {
  let host: LabNs;
  let dir: string;
  let h: Rtnl;
  let bridgeIndex: number;
  const sandbox = (name: string) => {
    const p = path.join(dir, name);
    createNetns(p);
    return p;
  };

  beforeAll(async () => {
    host = makeNs('wp19-batch');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-batch-'));
    h = Rtnl.open(host.path);
    await h.createBridge('br-b');
    bridgeIndex = (await h.requireLink('br-b')).index;
    await h.addAddress(bridgeIndex, '10.201.0.1/24');
    await h.setLink(bridgeIndex, { up: true });
  });

  afterAll(() => {
    h?.close();
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) deleteNetns(path.join(dir, f));
    host?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('does every request of the batch; a tolerated EEXIST counts as done', async () => {
    const sb = sandbox('all');
    const made = await h.createVeth('vb-all', { name: 'eth0', nsPath: sb }, { master: bridgeIndex, up: true });
    const inner = Rtnl.open(sb);
    try {
      const index = made.peerIndex!;
      await inner.batch([addressRequest(index, '10.201.0.2/24'), addressRequest(index, 'fd00:201::2/64'),
        addressRequest(index, '10.201.0.2/24'), setLinkRequest(index, { up: true })]);
      const cidrs = (await inner.addresses(index)).map((a) => a.cidr);
      expect(cidrs).toEqual(expect.arrayContaining(['10.201.0.2/24', 'fd00:201::2/64']));
      expect((await inner.requireLink('eth0')).up).toBe(true);
    } finally {
      inner.close();
    }
    expect(host.try('ping -c1 -W2 10.201.0.2').code).toBe(0);
  });

  it('does the requests that follow one of unaligned length (an odd name), each message padded', async () => {
    const sb = sandbox('odd');
    const made = await h.createVeth('vb-odd', { name: 'eth0', nsPath: sb }, {});
    // 'vb-o5' is 6 bytes with its NUL: the message is 2 bytes short of the alignment the kernel steps by.
    await h.batch([setLinkRequest(made.index!, { name: 'vb-o5' }), setLinkRequest(made.index!, { master: bridgeIndex, up: true })]);
    expect(await h.requireLink('vb-o5')).toMatchObject({ master: bridgeIndex, up: true });
  });

  it('throws the first failure with its request and code, after the kernel went on with the others', async () => {
    const sb = sandbox('fail');
    const made = await h.createVeth('vb-fail', { name: 'eth0', nsPath: sb }, { master: bridgeIndex });
    const inner = Rtnl.open(sb);
    try {
      const index = made.peerIndex!;
      const err = await inner.batch([addressRequest(index, '10.201.0.3/24'), addressRequest(9999, '10.201.0.4/24'),
        setLinkRequest(index, { up: true })]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NetlinkError);
      expect(err).toMatchObject({ code: 'ENODEV', op: 'add address 10.201.0.4/24' });
      // rtnetlink has no transaction: the requests around the failed one took effect.
      expect((await inner.addresses(index)).map((a) => a.cidr)).toContain('10.201.0.3/24');
      expect((await inner.requireLink('eth0')).up).toBe(true);
    } finally {
      inner.close();
    }
  });

  it('sets hairpin mode in the create batch, and a hairpin refused takes the new pair with it', async () => {
    const sb = sandbox('hairpin');
    await h.createHairpinVeth('vb-hp', { name: 'eth0', nsPath: sb }, { master: bridgeIndex, up: true });
    expect(host.sh('cat /sys/class/net/vb-hp/brport/hairpin_mode').trim()).toBe('1');
    // Not a bridge port: the kernel refuses its port options, and the pair must not stay behind.
    const err = await h.createHairpinVeth('vb-nohp', { name: 'eth1', nsPath: sb }, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect((err as NetlinkError).op).toBe('set hairpin vb-nohp');
    expect(await h.link('vb-nohp')).toBeUndefined();
  });

  it('plugs a container end: addressed (v4, v6, link-local), up and reachable, with the host end a hairpin port', async () => {
    const sb = sandbox('plug');
    await plugVeth(h, {
      hostIf: 'vb-plug', bridgeIndex, ifName: 'eth0', nsPath: sb, mtu: 1400, mac: '02:42:0a:c9:00:05', hairpin: true,
      ipv4: '10.201.0.5/24', ipv6: 'fd00:201::5/64', linkLocal: ['169.254.7.7'],
    });
    expect(host.sh('cat /sys/class/net/vb-plug/brport/hairpin_mode').trim()).toBe('1');
    const inner = Rtnl.open(sb);
    try {
      const eth0 = await inner.requireLink('eth0');
      expect(eth0).toMatchObject({ up: true, mtu: 1400, mac: '02:42:0a:c9:00:05' });
      expect((await inner.addresses(eth0.index)).map((a) => a.cidr))
        .toEqual(expect.arrayContaining(['10.201.0.5/24', 'fd00:201::5/64', '169.254.7.7/16']));
    } finally {
      inner.close();
    }
    expect(host.try('ping -c1 -W2 10.201.0.5').code).toBe(0);
  });

  it('a plug whose address is refused leaves no link behind', async () => {
    const sb = sandbox('refused');
    const err = await plugVeth(h, {
      hostIf: 'vb-bad', bridgeIndex, ifName: 'eth0', nsPath: sb, mtu: undefined, mac: '02:42:0a:c9:00:06',
      ipv4: '10.201.0.6/33',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(await h.link('vb-bad')).toBeUndefined();
  });
});
