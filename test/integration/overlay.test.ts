/**
 * Multi-host overlay networks on a 3-host lab (network namespaces on an underlay switch,
 * one etcd, one daemon per host; see test/helpers/cluster.ts), with real traffic across
 * hosts through VXLAN. Host i is cluster.hosts[i]: A = 0, B = 1, C = 2.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, ETCD_IP } from '../helpers/cluster.js';
import { containerIp, createNet, execIn, inNs, runContainer } from '../helpers/containers.js';
import { waitFor, type TestDaemon } from '../helpers/daemon.js';
import { groEnabled } from '../../src/kernel/ethtool.js';

// busybox-static's `wget -T` segfaults, so timeouts use `timeout N wget`: exit 143 when
// it fires, 1 when wget fails outright; a refusal check accepts only those two.
const TTL = 5;

/** The IPv4 addresses busybox nslookup prints for name ([] when it does not resolve). */
async function resolve(d: TestDaemon, container: string, name: string): Promise<string[]> {
  const r = await execIn(d, container, ['nslookup', '-type=a', name]);
  if (r.code !== 0) return [];
  const answer = r.stdout.split(/\n\s*\n/).slice(1).join('\n');
  return [...answer.matchAll(/Address:\s*([0-9a-f.:]+)/g)].map((m) => m[1]);
}

describe('overlay networks across three hosts', () => {
  let c: TestCluster;
  let A: TestDaemon, B: TestDaemon, C: TestDaemon;
  let vni = 0;
  const ips: { [name: string]: string } = {};
  const ids: { [name: string]: string } = {};

  beforeAll(async () => {
    c = await TestCluster.start({ hosts: 3, ttl: TTL });
    [A, B, C] = c.hosts;
  }, 120_000);

  afterAll(async () => {
    await c?.destroy();
  }, 120_000);

  const vniOf = async (d: TestDaemon, net: string) => Number((await d.api('GET', `/v1.50/networks/${net}`)).body.Options['com.docker.network.driver.overlay.vxlanid_list']);
  // The VXLAN device's own static entries (MAC dst VTEP), not what br0 learned on its port.
  const macsIn = (i: number, v: number) => c.inOverlayNs(i, v, `bridge fdb show dev vx-${v}`).out.split('\n').filter((l) => l.includes(' dst ')).join('\n');
  const neighIn = (i: number, v: number) => c.inOverlayNs(i, v, `ip neigh show dev vx-${v}`).out;

  it('an overlay network created on A appears on B and C (scope global), with a VNI from 4096', async () => {
    await createNet(A, { Name: 'ov1', Driver: 'overlay', IPAM: { Config: [{ Subnet: '10.90.0.0/24' }] } });
    for (const d of [B, C]) {
      const n = await waitFor(async () => {
        const r = await d.api('GET', '/v1.50/networks/ov1');
        return r.status === 200 ? r.body : undefined;
      }, 'ov1 on another host');
      expect(n.Driver).toBe('overlay');
      expect(n.Scope).toBe('global');
      expect(n.IPAM.Config[0].Subnet).toBe('10.90.0.0/24');
    }
    vni = await vniOf(A, 'ov1');
    expect(vni).toBeGreaterThanOrEqual(4096);
    expect(await vniOf(C, 'ov1')).toBe(vni);
    // Names are cluster-wide.
    const dup = await B.api('POST', '/v1.50/networks/create', { Name: 'ov1', Driver: 'overlay' });
    expect(dup.status).toBe(409);
    // The CLI lists it with its scope.
    expect(C.cli(['network', 'ls']).stdout).toMatch(/ov1\s+overlay\s+global/);
  });

  it('a container on A pings and fetches HTTP from containers on B and C by IP', async () => {
    ids.client = await runContainer(A, { name: 'client', network: 'ov1', cmd: ['sleep', '3600'] });
    ids.webB = await runContainer(B, { name: 'webB', network: 'ov1', cmd: ['httpd', '-f', '-p', '80', '-h', '/etc'] });
    const t0 = Date.now();
    ids.webC = await runContainer(C, { name: 'webC', network: 'ov1', aliases: ['web-c'], cmd: ['httpd', '-f', '-p', '80', '-h', '/etc'] });
    const t1 = Date.now();
    ips.webC = await containerIp(C, ids.webC, 'ov1');
    await waitFor(() => inNs(A, ids.client, `ping -c1 -W1 ${ips.webC}`).code === 0, 'A to reach C', 10_000);
    console.log(`convergence: 'start' asked on C -> reachable from A in ${Date.now() - t0} ms (${Date.now() - t1} ms after the start call returned)`);
    ips.client = await containerIp(A, ids.client, 'ov1');
    ips.webB = await containerIp(B, ids.webB, 'ov1');
    expect(new Set([ips.client, ips.webB, ips.webC]).size).toBe(3);
    for (const ip of Object.values(ips)) expect(ip).toMatch(/^10\.90\.0\.\d+$/);
    for (const [name, ip] of [['webB', ips.webB], ['webC', ips.webC]]) {
      expect(inNs(A, ids.client, `ping -c2 -W2 ${ip}`).code).toBe(0);
      const r = await execIn(A, ids.client, ['timeout', '5', 'wget', '-q', '-O', '-', `http://${ip}/hostname`]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(ids[name].slice(0, 12));
    }
    // MTU: underlay 1500 - 50.
    expect(inNs(A, ids.client, 'ip -o link show eth0').out).toContain('mtu 1450');
    // Static entries for the remote endpoints, on A's VXLAN device.
    const macB = (await B.api('GET', `/v1.50/containers/${ids.webB}/json`)).body.NetworkSettings.Networks.ov1.MacAddress;
    expect(macsIn(0, vni)).toContain(`${macB} dst ${c.addr(1)}`);
    expect(neighIn(0, vni)).toContain(`${ips.webB} lladdr ${macB}`);
  });

  it('the overlay namespace\'s datapath: MTU underlay - 50 on br0 and the VXLAN device, bridge netfilter hooks off, GRO on both veth ends',
    async () => {
    for (const dev of ['br0', `vx-${vni}`]) expect(c.inOverlayNs(0, vni, `ip -o link show ${dev}`).out).toContain('mtu 1450');
    const { SandboxKey, Networks } = (await A.api('GET', `/v1.50/containers/${ids.client}/json`)).body.NetworkSettings;
    expect(groEnabled(SandboxKey, 'eth0')).toBe(true);
    expect(groEnabled(path.join(A.runDir, 'netns', `ov-${vni}`), `veth${Networks.ov1.EndpointID.slice(0, 7)}`)).toBe(true);
    // (the kernel's default, for comparison: off on a veth the driver did not tune)
    expect(groEnabled(SandboxKey, 'eth1')).toBe(false);
    // With br_netfilter loaded (it is on this machine) every new namespace starts with the hooks on.
    const hooks = c.inOverlayNs(0, vni, 'cat /proc/sys/net/bridge/bridge-nf-call-iptables /proc/sys/net/bridge/bridge-nf-call-ip6tables '
      + '/proc/sys/net/bridge/bridge-nf-call-arptables');
    if (fs.existsSync('/proc/sys/net/bridge')) expect(hooks.out.split(/\s+/).filter(Boolean)).toEqual(['0', '0', '0']);
  });

  it('names and aliases resolve across hosts through the embedded DNS, and stop resolving when the container goes', async () => {
    expect(await resolve(A, ids.client, 'webB')).toEqual([ips.webB]);
    expect(await resolve(A, ids.client, 'web-c')).toEqual([ips.webC]);
    expect(await resolve(A, ids.client, 'webC.ov1')).toEqual([ips.webC]);
    expect(await resolve(C, ids.webC, 'client')).toEqual([ips.client]);
    const ping = await execIn(A, ids.client, ['ping', '-c1', '-W2', 'webB']);
    expect(ping.code, ping.stderr).toBe(0);
    expect(ping.stdout).toContain(ips.webB);
    const gone = await runContainer(B, { name: 'brief', network: 'ov1', cmd: ['sleep', '3600'] });
    const briefIp = await containerIp(B, gone, 'ov1');
    await waitFor(async () => (await resolve(A, ids.client, 'brief')).includes(briefIp), 'brief to resolve on A');
    expect((await B.api('DELETE', `/v1.50/containers/${gone}?force=true`)).status).toBe(204);
    await waitFor(async () => (await resolve(A, ids.client, 'brief')).length === 0, 'brief to stop resolving on A');
  });

  it('containers get a way out and published ports through weft_gwbridge (NAT on their host); --internal ones do not', async () => {
    const r = await execIn(A, ids.client, ['timeout', '5', 'wget', '-q', '-O', '-', `http://${ETCD_IP}:2379/version`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('etcdserver');
    expect(inNs(A, ids.client, 'ip route show default').out).toMatch(/default via \S+ dev eth1/);
    const gw = await A.api('GET', '/v1.50/networks/weft_gwbridge');
    expect(gw.status).toBe(200);
    // Published ports of an overlay container go through weft_gwbridge on its host.
    const pub = await runContainer(A, { name: 'pub', network: 'ov1', cmd: ['httpd', '-f', '-p', '80', '-h', '/etc'], ports: { '80/tcp': [{ HostPort: '8088' }] } });
    const fromB = await waitFor(() => B.host.try(`curl -s -m 3 http://${c.addr(0)}:8088/hostname`).out.trim(), 'published port from B');
    expect(fromB).toBe(pub.slice(0, 12));
    const ports = (await A.api('GET', `/v1.50/containers/${pub}/json`)).body.NetworkSettings.Ports;
    expect(ports['80/tcp']).toContainEqual({ HostIp: '0.0.0.0', HostPort: '8088' });
    await A.api('DELETE', `/v1.50/containers/${pub}?force=true`);
    await createNet(A, { Name: 'ovint', Driver: 'overlay', Internal: true, IPAM: { Config: [{ Subnet: '10.92.0.0/24' }] } });
    const shut = await runContainer(B, { name: 'shut', network: 'ovint', cmd: ['sleep', '3600'] });
    expect(inNs(B, shut, 'ip route show default').out.trim()).toBe('');
    const out = await execIn(B, shut, ['timeout', '2', 'wget', '-q', '-O', '-', `http://${ETCD_IP}:2379/version`]);
    expect([1, 143]).toContain(out.code);
    await B.api('DELETE', `/v1.50/containers/${shut}?force=true`);
    expect((await A.api('DELETE', '/v1.50/networks/ovint')).status).toBe(204);
  });

  it('a container on another overlay network cannot reach them', async () => {
    await createNet(B, { Name: 'ov2', Driver: 'overlay', IPAM: { Config: [{ Subnet: '10.91.0.0/24' }] } });
    await waitFor(async () => (await A.api('GET', '/v1.50/networks/ov2')).status === 200, 'ov2 on A');
    expect(await vniOf(A, 'ov2')).not.toBe(vni);
    ids.stranger = await runContainer(A, { name: 'stranger', network: 'ov2', cmd: ['sleep', '3600'] });
    ids.peer2 = await runContainer(C, { name: 'peer2', network: 'ov2', cmd: ['sleep', '3600'] });
    const peer2 = await containerIp(C, ids.peer2, 'ov2');
    await waitFor(() => inNs(A, ids.stranger, `ping -c1 -W1 ${peer2}`).code === 0, 'ov2 peers to reach each other');
    // Nor learn their names; its own network's peer it does find.
    expect(await resolve(A, ids.stranger, 'webB')).toEqual([]);
    expect(await resolve(A, ids.stranger, 'peer2')).toEqual([peer2]);
    for (const ip of [ips.webB, ips.webC]) {
      expect(inNs(A, ids.stranger, `ping -c1 -W1 ${ip}`).code).not.toBe(0);
      const r = await execIn(A, ids.stranger, ['timeout', '2', 'wget', '-q', '-O', '-', `http://${ip}/hostname`]);
      expect([1, 143]).toContain(r.code);
    }
  });

  it('networks created at the same moment on different hosts get distinct VNIs and subnets; one name, one winner', async () => {
    const made = await Promise.all([A, B, C].map((d, i) => d.api('POST', '/v1.50/networks/create', { Name: `auto${i}`, Driver: 'overlay' })));
    expect(made.map((r) => r.status)).toEqual([201, 201, 201]);
    const nets = await Promise.all([0, 1, 2].map((i) => waitFor(async () => {
      const r = await A.api('GET', `/v1.50/networks/auto${i}`);
      return r.status === 200 ? r.body : undefined;
    }, `auto${i} on A`)));
    expect(new Set(nets.map((n) => n.Options['com.docker.network.driver.overlay.vxlanid_list'])).size).toBe(3);
    expect(new Set(nets.map((n) => n.IPAM.Config[0].Subnet)).size).toBe(3);
    for (const n of nets) expect(n.IPAM.Config[0].Subnet).toMatch(/^10\.0\.\d+\.0\/24$/);
    const same = await Promise.all([A, B, C].map((d) => d.api('POST', '/v1.50/networks/create', { Name: 'contested', Driver: 'overlay' })));
    expect(same.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    for (const name of ['auto0', 'auto1', 'auto2', 'contested']) expect((await C.api('DELETE', `/v1.50/networks/${name}`)).status).toBe(204);
  });

  it('50 containers started at once across 3 hosts get 50 distinct addresses', async () => {
    await createNet(C, { Name: 'many', Driver: 'overlay', IPAM: { Config: [{ Subnet: '10.93.0.0/24' }] } });
    await waitFor(async () => (await A.api('GET', '/v1.50/networks/many')).status === 200 && (await B.api('GET', '/v1.50/networks/many')).status === 200, 'many everywhere');
    const hosts = [A, B, C];
    const started = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const d = hosts[i % 3];
      const id = await runContainer(d, { name: `m${i}`, network: 'many', cmd: ['sleep', '3600'] });
      return { d, id, ip: await containerIp(d, id, 'many') };
    }));
    const addrs = started.map((s) => s.ip);
    expect(addrs.every((a) => /^10\.93\.0\.\d+$/.test(a))).toBe(true);
    expect(new Set(addrs).size).toBe(50);
    // And they really are one segment: the first (on A) reaches the last (on B).
    await waitFor(() => inNs(A, started[0].id, `ping -c1 -W1 ${started[49].ip}`).code === 0, 'm0 to reach m49');
    await Promise.all(started.map((s) => s.d.api('DELETE', `/v1.50/containers/${s.id}?force=true`)));
  }, 180_000);

  it('a 20 MB TCP transfer from B to A completes intact (MTU right)', async () => {
    // A second httpd in webB serving a 20 MB random file.
    const mk = await execIn(B, ids.webB, ['sh', '-c', 'mkdir -p /www && dd if=/dev/urandom of=/www/big bs=1M count=20 2>/dev/null && httpd -p 8080 -h /www && md5sum /www/big']);
    expect(mk.code, mk.stderr).toBe(0);
    const want = mk.stdout.split(' ')[0];
    const t0 = Date.now();
    const got = await execIn(A, ids.client, ['sh', '-c', `timeout 60 wget -q -O - http://${ips.webB}:8080/big | md5sum`]);
    const ms = Date.now() - t0;
    expect(got.stdout.split(' ')[0]).toBe(want);
    console.log(`cross-host transfer: 20 MB in ${ms} ms (${((20 * 8 * 1.048576) / (ms / 1000)).toFixed(0)} Mbit/s)`);
  }, 120_000);

  it("killing C's daemon removes C's endpoints from A's and B's tables within the lease TTL; restarting restores them and drops what was deleted meanwhile", async () => {
    const macC = (await C.api('GET', `/v1.50/containers/${ids.webC}/json`)).body.NetworkSettings.Networks.ov1.MacAddress;
    for (const i of [0, 1]) {
      expect(macsIn(i, vni)).toContain(macC);
      expect(neighIn(i, vni)).toContain(ips.webC);
    }
    const vni2 = await vniOf(A, 'ov2');
    expect((await A.api('DELETE', `/v1.50/containers/${ids.stranger}?force=true`)).status).toBe(204);
    await C.crash();
    const t0 = Date.now();
    await waitFor(() => !macsIn(0, vni).includes(macC) && !macsIn(1, vni).includes(macC), "C's MAC to leave A's and B's FDB", (TTL + 5) * 1000);
    const gone = Date.now() - t0;
    console.log(`liveness: C's endpoints gone from A and B ${gone} ms after kill -9 (TTL ${TTL} s)`);
    expect(gone).toBeLessThan((TTL + 3) * 1000);
    expect(neighIn(0, vni)).not.toContain(ips.webC);
    expect(neighIn(1, vni)).not.toContain(ips.webC);
    expect(inNs(A, ids.client, `ping -c1 -W1 ${ips.webC}`).code).not.toBe(0);
    // While C is away, its endpoints no longer hold ov2: A may delete it.
    expect((await A.api('DELETE', '/v1.50/networks/ov2')).status).toBe(204);

    await C.start();
    await waitFor(() => macsIn(0, vni).includes(macC) && macsIn(1, vni).includes(macC), "C's MAC back in A's and B's FDB", 10_000);
    expect(neighIn(0, vni)).toContain(ips.webC);
    await waitFor(() => inNs(A, ids.client, `ping -c1 -W1 ${ips.webC}`).code === 0, 'A to reach C again');
    // C itself rebuilt its tables: it reaches B.
    await waitFor(() => inNs(C, ids.webC, `ping -c1 -W1 ${ips.webB}`).code === 0, 'C to reach B again');
    // …and let go of ov2, deleted while it was down: no record, no namespace.
    expect((await C.api('GET', '/v1.50/networks/ov2')).status).toBe(404);
    expect(fs.existsSync(path.join(C.runDir, 'netns', `ov-${vni2}`))).toBe(false);
    expect(fs.existsSync(path.join(C.runDir, 'netns', `ov-${vni}`))).toBe(true);
  }, 60_000);

  it('deleting the network on one host removes its devices on every host', async () => {
    for (const [d, id] of [[A, ids.client], [B, ids.webB], [C, ids.webC]] as const) {
      expect((await d.api('DELETE', `/v1.50/containers/${id}?force=true`)).status).toBe(204);
    }
    const nsPaths = c.hosts.map((h) => path.join(h.runDir, 'netns', `ov-${vni}`));
    expect(nsPaths.every((p) => fs.existsSync(p))).toBe(true);
    expect((await B.api('DELETE', '/v1.50/networks/ov1')).status).toBe(204);
    await waitFor(() => nsPaths.every((p) => !fs.existsSync(p)), 'ov1 namespaces to vanish everywhere');
    for (const d of [A, B, C]) {
      await waitFor(async () => (await d.api('GET', '/v1.50/networks/ov1')).status === 404, 'ov1 gone');
    }
    // No VXLAN device of it is left in any host namespace either.
    for (const h of c.hosts) expect(h.host.sh('ip -d link show type vxlan')).not.toContain(`vx-${vni}`);
    expect(c.etcdctl(['get', '--prefix', '--keys-only', `/weft/vni/${vni}`]).trim()).toBe('');
  });

  it('nothing is left in any namespace after the lab goes down', async () => {
    const names = [c.underlay.name, ...c.hosts.map((h) => h.host.name)];
    const dirs = [c.dir, ...c.hosts.map((h) => path.dirname(h.root))];
    const etcdPid = c.etcd?.pid;
    await c.destroy();
    const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    for (const n of names) expect(listed).not.toContain(n);
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    for (const d of dirs) {
      expect(mounts).not.toContain(d);
      expect(fs.existsSync(d)).toBe(false);
    }
    expect(etcdPid && fs.existsSync(`/proc/${etcdPid}`)).toBeFalsy();
    c = undefined as unknown as TestCluster;
  }, 120_000);
});
