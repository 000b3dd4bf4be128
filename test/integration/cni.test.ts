/**
 * weft-cni and weft-ipam as a runtime calls them (env + stdin, in a lab host namespace),
 * verb by verb and version by version, with the spec's error codes, real traffic, a
 * published port, concurrent ADDs and GC after a crash.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Attach, at, CniHarness, CniLab, cniBinDir, stateText } from '../helpers/cni.js';
import type { LabNs } from '../helpers/lab.js';

const SUBNET = '10.77.0.0/24';

describe('weft-cni: the CNI spec harness', () => {
  let lab: CniLab;
  let host: LabNs;
  let bin: string;
  let data: string;
  let cni: CniHarness;
  const container = () => lab.container();
  const conf = (extra: Record<string, unknown> = {}, version = '1.1.0') => lab.conf(extra, version);
  const hostLinks = () => lab.hostLinks();

  beforeAll(() => {
    lab = new CniLab('wc', () => ({ name: 'wcnet', bridge: 'wc0', ipam: { type: 'weft-ipam', subnet: SUBNET } }));
    ({ host, data } = lab);
    bin = cniBinDir();
    cni = new CniHarness(host.name, bin);
  });

  afterAll(() => {
    lab?.destroy();
    if (bin) fs.rmSync(bin, { recursive: true, force: true });
  });

  it('VERSION lists 0.4.0, 1.0.0 and 1.1.0 for both plugins', () => {
    for (const plugin of ['weft-cni', 'weft-ipam']) {
      const r = cni.run(plugin, { command: 'VERSION' }, { cniVersion: '1.0.0' });
      expect(r.code).toBe(0);
      expect(r.out).toEqual({ cniVersion: '1.0.0', supportedVersions: ['0.4.0', '1.0.0', '1.1.0'] });
    }
  });

  for (const version of ['0.4.0', '1.0.0', '1.1.0']) {
    it(`ADD, CHECK, DEL (twice), CHECK again at cniVersion ${version}`, () => {
      const ns = container();
      const id = `v${version.replaceAll('.', '')}`;
      const c = conf({}, version);
      const add = cni.run('weft-cni', at('ADD', id, ns), c);
      expect(add.code, add.stdout + add.stderr).toBe(0);
      const res = add.out as { cniVersion: string; interfaces: { name: string; sandbox?: string }[]; ips: Record<string, unknown>[] };
      expect(res.cniVersion).toBe(version);
      expect(res.interfaces.map((i) => i.name)).toEqual(['wc0', expect.stringMatching(/^veth/), 'eth0']);
      expect(res.interfaces[2].sandbox).toBe(ns.path);
      const ip = res.ips[0];
      expect(ip).toMatchObject({ address: expect.stringMatching(/^10\.77\.0\.\d+\/24$/), gateway: '10.77.0.1', interface: 2 });
      expect('version' in ip).toBe(version === '0.4.0');
      expect(ns.sh('ip -o -4 addr show eth0')).toContain(String(ip.address));
      expect(ns.sh('ip route show default')).toContain('via 10.77.0.1');
      expect(cni.run('weft-cni', at('CHECK', id, ns), { ...c, prevResult: res }).code).toBe(0);
      expect(cni.run('weft-cni', at('DEL', id, ns), { ...c, prevResult: res }).code).toBe(0);
      expect(hostLinks()).not.toContain(res.interfaces[1].name);
      expect(ns.try('ip link show eth0').code).not.toBe(0);
      expect(cni.run('weft-cni', at('DEL', id, ns), c).code).toBe(0);
      const check = cni.run('weft-cni', at('CHECK', id, ns), c);
      expect(check.code).toBe(1);
      expect(check.out).toMatchObject({ code: 3 });
    });
  }

  it('takes addresses from rangeStart..rangeEnd, as host-local does', () => {
    const ranged = conf({ name: 'wcrange', bridge: 'wc9', ipam: { type: 'weft-ipam', ranges: [[{ subnet: '10.78.0.0/24', rangeStart: '10.78.0.50', rangeEnd: '10.78.0.51' }]] } });
    const got: string[] = [];
    const spacesOf = new Map<string, LabNs>();
    for (const id of ['r1', 'r2']) {
      const ns = container();
      spacesOf.set(id, ns);
      const add = cni.run('weft-cni', at('ADD', id, ns), ranged);
      expect(add.code, add.stdout + add.stderr).toBe(0);
      const address = String((add.out as { ips: { address: string }[] }).ips[0].address);
      expect(ns.sh('ip -o -4 addr show eth0')).toContain(address);
      got.push(address);
    }
    expect(got).toEqual(['10.78.0.50/24', '10.78.0.51/24']);
    const full = cni.run('weft-cni', at('ADD', 'r3', container()), ranged);
    expect(full.code).toBe(1);
    expect(full.out).toMatchObject({ code: 101, msg: expect.stringContaining('no available addresses') });
    for (const id of ['r1', 'r2', 'r3']) expect(cni.run('weft-cni', at('DEL', id, spacesOf.get(id)), ranged).code).toBe(0);
    expect(hostLinks().filter((l) => l.startsWith('veth'))).toEqual([]);
  });

  it('answers error paths with the spec\'s codes and changes nothing', () => {
    const ns = container();
    const before = hostLinks();
    const code = (a: Attach, c: unknown, plugin = 'weft-cni') => {
      const r = cni.run(plugin, a, c);
      expect(r.code, r.stdout).toBe(1);
      return (r.out as { code: number; msg: string }).code;
    };
    expect(code({ command: '' }, conf())).toBe(4);
    expect(code({ command: 'FROB' }, conf())).toBe(4);
    expect(code({ command: 'ADD', netns: ns.path, ifname: 'eth0' }, conf())).toBe(4);
    expect(code({ ...at('ADD', 'e1'), netns: '/run/netns/wc-none' }, conf())).toBe(4);
    expect(code(at('ADD', 'e1', ns), '{"cniVersion": ')).toBe(6);
    expect(code(at('ADD', 'e1', ns), conf({}, '0.2.0'))).toBe(1);
    expect(code(at('ADD', 'e1', ns), { ...conf(), name: undefined })).toBe(7);
    expect(code(at('ADD', 'e1', ns), conf({ mtu: 'big' }))).toBe(7);
    expect(code(at('ADD', 'e1', ns), conf({ ipam: { type: 'weft-ipam', ranges: [[{ subnet: '10.78.0.0/24', rangeStart: '10.79.0.9' }]] } }))).toBe(7);
    expect(code(at('ADD', 'e1', ns), conf({ ipam: { type: 'wc-no-such-ipam', subnet: SUBNET } }))).toBe(50);
    expect(code({ command: 'GC' }, conf({}, '1.0.0'))).toBe(1);
    expect(code({ command: 'STATUS' }, conf({}, '0.4.0'), 'weft-ipam')).toBe(1);
    expect(hostLinks().sort()).toEqual(before.sort());
    expect(ns.try('ip link show eth0').code).not.toBe(0);
  });

  it('STATUS answers for both plugins at 1.1.0', () => {
    expect(cni.run('weft-cni', { command: 'STATUS' }, conf()).code).toBe(0);
    expect(cni.run('weft-ipam', { command: 'STATUS' }, conf()).code).toBe(0);
  });

  it('honours ips, mac and dns, and chains after a previous result', () => {
    const ns = container();
    const prev = { cniVersion: '1.1.0', interfaces: [{ name: 'lo0' }], ips: [], dns: {} };
    const c = conf({ runtimeConfig: { ips: ['10.77.0.200/24'], mac: '02:aa:bb:cc:dd:ee', dns: { servers: ['10.77.0.53'] } }, prevResult: prev });
    const r = cni.run('weft-cni', at('ADD', 'fixed', ns), c);
    expect(r.code, r.stdout).toBe(0);
    const res = r.out as { interfaces: { name: string; mac?: string }[]; ips: { address: string; interface: number }[]; dns: unknown };
    expect(res.interfaces[0].name).toBe('lo0');
    expect(res.interfaces[3]).toMatchObject({ name: 'eth0', mac: '02:aa:bb:cc:dd:ee' });
    expect(res.ips).toEqual([expect.objectContaining({ address: '10.77.0.200/24', interface: 3 })]);
    expect(res.dns).toEqual({ nameservers: ['10.77.0.53'] });
    expect(ns.sh('cat /sys/class/net/eth0/address').trim()).toBe('02:aa:bb:cc:dd:ee');
    const taken = cni.run('weft-cni', at('ADD', 'fixed2', container()), c);
    expect(taken.code).toBe(1);
    expect(cni.run('weft-cni', at('DEL', 'fixed', ns), c).code).toBe(0);
  });

  it('gives concurrent ADDs distinct addresses', async () => {
    const nss = Array.from({ length: 6 }, () => container());
    const runs = await Promise.all(nss.map((ns, i) => cni.runAsync('weft-cni', at('ADD', `par${i}`, ns), conf())));
    for (const r of runs) expect(r.code, r.stdout + r.stderr).toBe(0);
    const addrs = runs.map((r) => (r.out as { ips: { address: string }[] }).ips[0].address);
    expect(new Set(addrs).size).toBe(addrs.length);
    for (const [i, ns] of nss.entries()) expect(cni.run('weft-cni', at('DEL', `par${i}`, ns), conf()).code).toBe(0);
  });

  it('carries traffic between two attachments and through a published port', () => {
    const [a, b] = [container(), container()];
    const ports = { runtimeConfig: { portMappings: [{ hostPort: 18080, containerPort: 80, protocol: 'tcp' }] } };
    const ra = cni.run('weft-cni', at('ADD', 'web', a), conf(ports));
    expect(ra.code, ra.stdout).toBe(0);
    const rb = cni.run('weft-cni', at('ADD', 'client', b), conf());
    expect(rb.code, rb.stdout).toBe(0);
    const ipA = (ra.out as { ips: { address: string }[] }).ips[0].address.split('/')[0];
    expect(b.try(`ping -c1 -W2 ${ipA}`).code).toBe(0);
    lab.serve(a, 'hello from web');
    expect(lab.get(b, `http://${ipA}/`)).toContain('hello from web');
    expect(lab.get(host, 'http://10.77.0.1:18080/')).toContain('hello from web');
    expect(lab.get(b, 'http://10.77.0.1:18080/')).toContain('hello from web');
    expect(cni.run('weft-cni', at('DEL', 'web', a), conf(ports)).code).toBe(0);
    expect(host.sh('nft list map inet weft port-dnat4-any')).not.toContain('18080');
    expect(cni.run('weft-cni', at('DEL', 'client', b), conf()).code).toBe(0);
  });

  it('GC removes an ADD killed mid-way and an attachment whose container is gone, keeping the valid ones', () => {
    const [keep, crash, early, gone] = [container(), container(), container(), container()];
    expect(cni.run('weft-cni', at('ADD', 'keep', keep), conf()).code).toBe(0);
    const killed = cni.run('weft-cni', at('ADD', 'crash', crash), conf(), { WEFT_FAILPOINTS: 'cni.add.plugged' });
    expect(killed.code).not.toBe(0);
    const killedEarly = cni.run('weft-cni', at('ADD', 'early', early), conf(), { WEFT_FAILPOINTS: 'cni.add.recorded' });
    expect(killedEarly.code).not.toBe(0);
    expect(stateText(data)).toContain('cni/owner/wcnet/early/');
    expect(crash.sh('ip -o -4 addr show eth0')).toContain('10.77.0.');
    const gr = cni.run('weft-cni', at('ADD', 'gone', gone), conf());
    expect(gr.code).toBe(0);
    const goneIf = (gr.out as { interfaces: { name: string }[] }).interfaces[1].name;
    gone.destroy();
    const links = hostLinks().filter((l) => l.startsWith('veth'));
    expect(links.length).toBeGreaterThanOrEqual(2);
    const gc = cni.run('weft-cni', { command: 'GC' }, conf({ 'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }] }));
    expect(gc.code, gc.stdout).toBe(0);
    expect(crash.try('ip link show eth0').code).not.toBe(0);
    expect(hostLinks()).not.toContain(goneIf);
    expect(keep.sh('ip -o -4 addr show eth0')).toContain('10.77.0.');
    const state = stateText(data);
    expect(state).not.toContain('cni/owner/wcnet/crash/');
    expect(state).not.toContain('wcnet/early/');
    expect(state).not.toContain('cni/attach/wcnet/gone/');
    expect(state).toContain('cni/attach/wcnet/keep/');
    expect(cni.run('weft-cni', at('CHECK', 'keep', keep), conf()).code).toBe(0);
    expect(cni.run('weft-cni', at('DEL', 'keep', keep), conf()).code).toBe(0);
  });

  it('weft-ipam serves the reference bridge plugin, and weft-cni delegates to host-local', () => {
    const ref = new CniHarness(host.name, `${bin}:/usr/lib/cni`);
    const ns = container();
    const bridgeConf = { cniVersion: '1.0.0', name: 'wcref', type: 'bridge', bridge: 'wc1', isGateway: true,
      ipam: { type: 'weft-ipam', subnet: '10.79.0.0/24', dataDir: path.join(data, 'ref-ipam') } };
    const r = ref.run('/usr/lib/cni/bridge', at('ADD', 'refc', ns), bridgeConf);
    expect(r.code, r.stdout).toBe(0);
    expect(ns.sh('ip -o -4 addr show eth0')).toContain('10.79.0.2/24');
    expect(ref.run('/usr/lib/cni/bridge', at('DEL', 'refc', ns), bridgeConf).code).toBe(0);
    expect(fs.readFileSync(path.join(data, 'ref-ipam', 'state.json'), 'utf8')).not.toContain('cni/owner/wcref/refc');
    const ns2 = container();
    const hl = conf({ name: 'wchl', bridge: 'wc2', ipam: { type: 'host-local', subnet: '10.80.0.0/24', dataDir: path.join(data, 'hl') } }, '1.0.0');
    const a = ref.run('weft-cni', at('ADD', 'hlc', ns2), hl);
    expect(a.code, a.stdout).toBe(0);
    expect(ns2.sh('ip -o -4 addr show eth0')).toContain('10.80.0.');
    expect(ref.run('weft-cni', at('DEL', 'hlc', ns2), hl).code).toBe(0);
    expect(fs.readdirSync(path.join(data, 'hl', 'wchl')).filter((f) => f.startsWith('10.'))).toEqual([]);
  });
});
