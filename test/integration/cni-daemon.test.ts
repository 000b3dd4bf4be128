/**
 * weft-cni and weft-ipam through the launcher (dist/bin) and a running daemon
 * (POST /weft/cni/<plugin>), as a runtime calls them in a lab host namespace: every verb,
 * error codes, real traffic through a published port, exec'd and daemon calls mixed on one
 * state directory, a daemon killed mid-ADD, and the launcher running the plugin itself when
 * no daemon answers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Attach, at, CniHarness, CniLab, cniBinDir, launcherBinDir, stateText } from '../helpers/cni.js';
import { TestDaemon } from '../helpers/daemon.js';
import { type LabNs, makeNs } from '../helpers/lab.js';

const SUBNET = '10.81.0.0/24';

describe('weft-cni through a running daemon', () => {
  let lab: CniLab;
  let daemon: TestDaemon;
  let host: LabNs;
  let data: string;
  /** Launchers that can only answer through the daemon, linked launchers and the plain Node plugins. */
  let viaDaemon: CniHarness;
  let linked: CniHarness;
  let exec: CniHarness;
  const dirs: string[] = [];

  const container = () => lab.container();
  const conf = (extra: Record<string, unknown> = {}, version = '1.1.0') => lab.conf(extra, version);
  const hostLinks = () => lab.hostLinks();
  const veths = () => lab.veths();
  const address = (out: unknown) => (out as { ips: { address: string }[] }).ips[0].address;
  const harness = (dir: string) => {
    dirs.push(dir);
    return new CniHarness(host.name, dir);
  };

  beforeAll(async () => {
    lab = new CniLab('cf', () => ({
      name: 'cfnet', bridge: 'cf0', weftDaemon: daemon.socket, ipam: { type: 'weft-ipam', subnet: SUBNET },
    }));
    ({ host, data } = lab);
    daemon = new TestDaemon('nftables', host);
    await daemon.start();
    viaDaemon = harness(launcherBinDir('daemon-only'));
    linked = harness(launcherBinDir('linked'));
    exec = harness(cniBinDir());
  }, 60_000);

  afterAll(async () => {
    await daemon?.destroy();
    lab?.destroy();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('answers VERSION for both plugins', () => {
    for (const plugin of ['weft-cni', 'weft-ipam']) {
      const r = viaDaemon.run(plugin, { command: 'VERSION' }, { cniVersion: '1.0.0', weftDaemon: daemon.socket });
      expect(r.code, r.stdout).toBe(0);
      expect(r.out).toEqual({ cniVersion: '1.0.0', supportedVersions: ['0.4.0', '1.0.0', '1.1.0'] });
    }
  });

  for (const version of ['0.4.0', '1.0.0', '1.1.0']) {
    it(`ADD, CHECK, DEL (twice), CHECK again at cniVersion ${version}`, () => {
      const ns = container();
      const id = `cfv${version.replaceAll('.', '')}`;
      const c = conf({}, version);
      const add = viaDaemon.run('weft-cni', at('ADD', id, ns), c);
      expect(add.code, add.stdout + add.stderr).toBe(0);
      const res = add.out as { cniVersion: string; interfaces: { name: string; sandbox?: string }[] };
      expect(res.cniVersion).toBe(version);
      expect(res.interfaces.map((i) => i.name)).toEqual(['cf0', expect.stringMatching(/^veth/), 'eth0']);
      expect(ns.sh('ip -o -4 addr show eth0')).toContain(address(res));
      expect(ns.sh('ip route show default')).toContain('via 10.81.0.1');
      expect(ns.try('ping -c1 -W2 10.81.0.1').code).toBe(0);
      expect(viaDaemon.run('weft-cni', at('CHECK', id, ns), { ...c, prevResult: res }).code).toBe(0);
      expect(viaDaemon.run('weft-cni', at('DEL', id, ns), { ...c, prevResult: res }).code).toBe(0);
      expect(hostLinks()).not.toContain(res.interfaces[1].name);
      expect(viaDaemon.run('weft-cni', at('DEL', id, ns), c).code).toBe(0);
      const check = viaDaemon.run('weft-cni', at('CHECK', id, ns), c);
      expect(check.code).toBe(1);
      expect(check.out).toMatchObject({ code: 3 });
    });
  }

  it('frees the names at DEL: an ADD of the same netns and ifname right after succeeds, and a DEL after the netns went too', () => {
    const ns = container();
    for (let i = 0; i < 10; i++) {
      const add = viaDaemon.run('weft-cni', at('ADD', 'cfagain', ns), conf());
      expect(add.code, add.stdout + add.stderr).toBe(0);
      expect(ns.sh('ip -o -4 addr show eth0')).toContain(address(add.out));
      const del = viaDaemon.run('weft-cni', at('DEL', 'cfagain', ns), conf());
      expect(del.code, del.stdout + del.stderr).toBe(0);
      expect(ns.try('ip link show eth0').code).not.toBe(0);
    }
    expect(veths()).toEqual([]);
    expect(stateText(data)).not.toContain('cfagain');
    const gone = container();
    expect(viaDaemon.run('weft-cni', at('ADD', 'cfgone', gone), conf()).code).toBe(0);
    const nsPath = gone.path;
    gone.destroy();
    const del = viaDaemon.run('weft-cni', at('DEL', 'cfgone'), conf());
    expect(del.code, del.stdout + del.stderr).toBe(0);
    expect(viaDaemon.run('weft-cni', { ...at('DEL', 'cfgone'), netns: nsPath }, conf()).code).toBe(0);
    expect(veths()).toEqual([]);
    expect(stateText(data)).not.toContain('cfgone');
  });

  it('answers error paths with the spec\'s codes and changes nothing', () => {
    const ns = container();
    const before = hostLinks();
    const code = (a: Attach, c: unknown, plugin = 'weft-cni') => {
      const r = viaDaemon.run(plugin, a, c);
      expect(r.code, r.stdout).toBe(1);
      return (r.out as { code: number }).code;
    };
    expect(code({ command: 'FROB' }, conf())).toBe(4);
    expect(code({ command: 'ADD', netns: ns.path, ifname: 'eth0' }, conf())).toBe(4);
    expect(code({ ...at('ADD', 'cfe1'), netns: '/run/netns/cf-none' }, conf())).toBe(4);
    expect(code(at('ADD', 'cfe1', ns), `{"cniVersion": "1.1.0", "weftDaemon": "${daemon.socket}", `)).toBe(6);
    expect(code(at('ADD', 'cfe1', ns), conf({}, '0.2.0'))).toBe(1);
    expect(code(at('ADD', 'cfe1', ns), conf({ mtu: 'big' }))).toBe(7);
    expect(code(at('ADD', 'cfe1', ns), conf({ ipam: { type: 'cf-no-such-ipam', subnet: SUBNET } }))).toBe(50);
    expect(code({ command: 'STATUS' }, conf({}, '0.4.0'), 'weft-ipam')).toBe(1);
    expect(hostLinks().sort()).toEqual(before.sort());
    expect(ns.try('ip link show eth0').code).not.toBe(0);
  });

  it('serves STATUS, GC and weft-ipam on its own', () => {
    expect(viaDaemon.run('weft-cni', { command: 'STATUS' }, conf()).code).toBe(0);
    const ipamConf = { cniVersion: '1.1.0', name: 'cfipam', type: 'bridge', weftDaemon: daemon.socket,
      ipam: { type: 'weft-ipam', subnet: '10.82.0.0/24', dataDir: path.join(data, 'ipam-only') } };
    const got = viaDaemon.run('weft-ipam', at('ADD', 'cfi1', undefined), ipamConf);
    expect(got.code, got.stdout).toBe(1);
    const ns = container();
    const ok = viaDaemon.run('weft-ipam', at('ADD', 'cfi1', ns), ipamConf);
    expect(ok.code, ok.stdout).toBe(0);
    expect(address(ok.out)).toBe('10.82.0.2/24');
    expect(viaDaemon.run('weft-ipam', at('DEL', 'cfi1', ns), ipamConf).code).toBe(0);
    expect(fs.readFileSync(path.join(data, 'ipam-only', 'state.json'), 'utf8')).not.toContain('cfi1');
    const [keep, gone] = [container(), container()];
    expect(viaDaemon.run('weft-cni', at('ADD', 'cfkeep', keep), conf()).code).toBe(0);
    expect(viaDaemon.run('weft-cni', at('ADD', 'cfgone', gone), conf()).code).toBe(0);
    const gc = viaDaemon.run('weft-cni', { command: 'GC' },
      conf({ 'cni.dev/valid-attachments': [{ containerID: 'cfkeep', ifname: 'eth0' }] }));
    expect(gc.code, gc.stdout).toBe(0);
    expect(gone.try('ip link show eth0').code).not.toBe(0);
    expect(keep.sh('ip -o -4 addr show eth0')).toContain('10.81.0.');
    expect(viaDaemon.run('weft-cni', at('DEL', 'cfkeep', keep), conf()).code).toBe(0);
    expect(veths()).toEqual([]);
  });

  it('carries traffic through a published port it mapped', () => {
    const [web, client] = [container(), container()];
    const ports = { runtimeConfig: { portMappings: [{ hostPort: 18180, containerPort: 80, protocol: 'tcp' }] } };
    const ra = viaDaemon.run('weft-cni', at('ADD', 'cfweb', web), conf(ports));
    expect(ra.code, ra.stdout).toBe(0);
    expect(viaDaemon.run('weft-cni', at('ADD', 'cfclient', client), conf()).code).toBe(0);
    lab.serve(web, 'hello from cf web');
    expect(lab.get(host, 'http://10.81.0.1:18180/')).toContain('hello from cf web');
    expect(lab.get(client, 'http://10.81.0.1:18180/')).toContain('hello from cf web');
    expect(viaDaemon.run('weft-cni', at('DEL', 'cfweb', web), conf(ports)).code).toBe(0);
    expect(host.sh('nft list map inet weft port-dnat4-any')).not.toContain('18180');
    expect(viaDaemon.run('weft-cni', at('DEL', 'cfclient', client), conf()).code).toBe(0);
  });

  it('keeps its port maps through the daemon\'s firewall reload and its repair of a flushed ruleset', async () => {
    const [web, client] = [container(), container()];
    const ports = { runtimeConfig: { portMappings: [{ hostPort: 18190, containerPort: 80, protocol: 'tcp' }] } };
    expect(viaDaemon.run('weft-cni', at('ADD', 'cfrweb', web), conf(ports)).code).toBe(0);
    expect(exec.run('weft-cni', at('ADD', 'cfrclient', client), conf()).code).toBe(0);
    lab.serve(web, 'hello after reload');
    const reached = async () => {
      for (let i = 0; i < 60; i++) {
        if (client.try('timeout 2 busybox wget -qO- http://10.81.0.1:18190/').out.includes('hello after reload')) return true;
        await new Promise((r) => setTimeout(r, 250));
      }
      return false;
    };
    expect(await reached()).toBe(true);
    const reload = daemon.cli(['firewall', 'reload']);
    expect(reload.code, reload.stderr).toBe(0);
    expect(host.sh('nft list map inet weft port-dnat4-any')).toContain('18190');
    expect(await reached()).toBe(true);
    host.sh('nft flush ruleset');
    expect(await reached()).toBe(true);
    expect(host.sh('nft list map inet weft port-dnat4-any')).toContain('18190');
    expect(viaDaemon.run('weft-cni', at('DEL', 'cfrweb', web), conf(ports)).code).toBe(0);
    expect(viaDaemon.run('weft-cni', at('DEL', 'cfrclient', client), conf()).code).toBe(0);
    expect(host.sh('nft list map inet weft port-dnat4-any')).not.toContain('18190');
  }, 60_000);

  it('mixes exec\'d and daemon calls on one state directory, one after the other and at once', async () => {
    const [a, b] = [container(), container()];
    const ra = viaDaemon.run('weft-cni', at('ADD', 'cfmix-a', a), conf());
    expect(ra.code, ra.stdout).toBe(0);
    expect(exec.run('weft-cni', at('CHECK', 'cfmix-a', a), conf()).code).toBe(0);
    const rb = exec.run('weft-cni', at('ADD', 'cfmix-b', b), conf());
    expect(rb.code, rb.stdout).toBe(0);
    expect(address(rb.out)).not.toBe(address(ra.out));
    expect(viaDaemon.run('weft-cni', at('CHECK', 'cfmix-b', b), conf()).code).toBe(0);
    expect(exec.run('weft-cni', at('DEL', 'cfmix-a', a), conf()).code).toBe(0);
    expect(viaDaemon.run('weft-cni', at('DEL', 'cfmix-b', b), conf()).code).toBe(0);
    const nss = Array.from({ length: 8 }, () => container());
    const runs = await Promise.all(nss.map((ns, i) => (i % 2 ? exec : viaDaemon).runAsync('weft-cni', at('ADD', `cfpar${i}`, ns), conf())));
    for (const r of runs) expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(new Set(runs.map((r) => address(r.out))).size).toBe(runs.length);
    const dels = await Promise.all(nss.map((ns, i) => (i % 2 ? viaDaemon : exec).runAsync('weft-cni', at('DEL', `cfpar${i}`, ns), conf())));
    for (const r of dels) expect(r.code, r.stdout).toBe(0);
    expect(veths()).toEqual([]);
    expect(stateText(data)).not.toContain('cfpar');
  });

  it('leaves a record when the daemon is killed mid-ADD; the launcher then runs the plugin itself, and DEL cleans up', async () => {
    await daemon.stop();
    daemon.env = { WEFT_FAILPOINTS: 'cni.add.plugged' };
    await daemon.start();
    const ns = container();
    const killed = viaDaemon.run('weft-cni', at('ADD', 'cfcrash', ns), conf());
    expect(killed.code).toBe(1);
    expect(killed.out).toMatchObject({ code: 5 });
    expect(stateText(data)).toContain('cni/attach/cfnet/cfcrash/');
    expect(ns.sh('ip -o -4 addr show eth0')).toContain('10.81.0.');
    const again = linked.run('weft-cni', at('ADD', 'cfcrash', ns), conf());
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(veths()).toHaveLength(1);
    daemon.env = {};
    await daemon.start();
    expect(viaDaemon.run('weft-cni', at('DEL', 'cfcrash', ns), conf()).code).toBe(0);
    expect(veths()).toEqual([]);
    expect(stateText(data)).not.toContain('cfcrash');
  }, 120_000);

  it('runs the plugin itself when no daemon answers or the daemon is in another namespace', () => {
    const ns = container();
    const none = { WEFT_CNI_DAEMON: path.join(data, 'cf-no-daemon.sock') };
    const add = linked.run('weft-cni', at('ADD', 'cffall', ns), conf(), none);
    expect(add.code, add.stdout + add.stderr).toBe(0);
    expect(ns.sh('ip -o -4 addr show eth0')).toContain(address(add.out));
    const cannot = viaDaemon.run('weft-cni', at('CHECK', 'cffall', ns), conf(), none);
    expect(cannot.code).toBe(1);
    expect(cannot.out).toMatchObject({ code: 5, msg: expect.stringContaining('cannot run the plugin') });
    expect(linked.run('weft-cni', at('DEL', 'cffall', ns), conf(), { WEFT_CNI_DAEMON: 'none' }).code).toBe(0);
    const other = lab.adopt(makeNs('cfo'));
    const elsewhere = new CniHarness(other.name, viaDaemon.cniPath);
    const refused = elsewhere.run('weft-cni', { command: 'VERSION' }, { cniVersion: '1.0.0', weftDaemon: daemon.socket });
    expect(refused.out).toMatchObject({ code: 5 });
    const fallback = new CniHarness(other.name, linked.cniPath).run('weft-cni', { command: 'VERSION' }, { cniVersion: '1.0.0', weftDaemon: daemon.socket });
    expect(fallback.code).toBe(0);
  });
});
