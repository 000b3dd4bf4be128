/**
 * Encrypted overlays (`--opt encrypted`) on the 3-host lab: container traffic between hosts
 * rides inside WireGuard (wireguard-go here: this kernel has no wireguard module), a capture
 * on the underlay shows WireGuard UDP only and never the payload, while a plain overlay's
 * capture shows it; hosts that leave drop out of the others' devices; keys survive a crash
 * and restart, rotate on request, and nothing of wireguard-go is left behind.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from '../helpers/cluster.js';
import { containerIp, createNet, inNs, runContainer } from '../helpers/containers.js';
import { waitFor, type TestDaemon } from '../helpers/daemon.js';

const TTL = 5;
const MARKER = 'wfwgMARKER7q3z';

interface Mesh { Implementation: string; PublicKey: string; TunnelAddress: string; Device: string; Active: boolean }

describe('encrypted overlay networks (WireGuard) across three hosts', () => {
  let c: TestCluster;
  let A: TestDaemon, B: TestDaemon, C: TestDaemon;
  const ids: { [name: string]: string } = {};
  const ips: { [name: string]: string } = {};

  beforeAll(async () => {
    c = await TestCluster.start({ hosts: 3, ttl: TTL });
    [A, B, C] = c.hosts;
  }, 120_000);

  afterAll(async () => {
    await c?.destroy();
  }, 120_000);

  const mesh = async (d: TestDaemon): Promise<Mesh> => (await d.api('GET', '/v1.50/info')).body.WeftOverlayEncryption;
  const peersOf = async (d: TestDaemon) => d.host.try(`wg show ${(await mesh(d)).Device} peers`).out;
  const fetchFrom = (d: TestDaemon, id: string, ip: string) => inNs(d, id, `curl -s --noproxy '*' -m 5 http://${ip}/${MARKER} || true`);

  /** Capture host A's underlay (eth0, without etcd's traffic) while `traffic` runs; the pcap's bytes and decoded lines. */
  async function capture(traffic: () => Promise<void>): Promise<{ bytes: Buffer; lines: string[] }> {
    const file = path.join(c.dir, `wfwg-${Date.now()}.pcap`);
    const p = spawn('ip', ['netns', 'exec', A.host.name, 'tcpdump', '--immediate-mode', '-Z', 'root', '-i', 'eth0', '-U', '-s', '0', '-w', file],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d) => { err += d; });
    await waitFor(() => fs.existsSync(file), 'tcpdump to start', 5000);
    await new Promise((r) => setTimeout(r, 300));
    await traffic();
    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
    expect(err).toMatch(/listening on eth0/);
    const lines = A.host.sh(`tcpdump -nn -r ${file} 'ip and not port 2379' 2>/dev/null`).split('\n').filter(Boolean);
    return { bytes: fs.readFileSync(file), lines };
  }

  it('an encrypted network is created with Options {encrypted: ""}; inspect and /info name the implementation', async () => {
    await createNet(A, { Name: 'wfwgenc', Driver: 'overlay', Options: { encrypted: '' }, IPAM: { Config: [{ Subnet: '10.91.0.0/24' }] } });
    await createNet(A, { Name: 'wfwgplain', Driver: 'overlay', IPAM: { Config: [{ Subnet: '10.92.0.0/24' }] } });
    const n = (await waitFor(async () => {
      const r = await B.api('GET', '/v1.50/networks/wfwgenc');
      return r.status === 200 ? r : undefined;
    }, 'wfwgenc on B')).body;
    expect(n.Options.encrypted).toBe('');
    expect(n.Options['com.weft.overlay.encryption']).toBe('wireguard (wireguard-go)');
    const plain = (await A.api('GET', '/v1.50/networks/wfwgplain')).body;
    expect(plain.Options['com.weft.overlay.encryption']).toBeUndefined();
    const m = await mesh(A);
    expect(m.Implementation).toBe('wireguard-go');
    expect(m.PublicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(m.TunnelAddress).toMatch(/^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./);
    expect(m.Active).toBe(false); // no encrypted network active on A yet
    // The CLI's --opt encrypted (docker's spelling) sends the same option.
    expect(B.cli(['network', 'create', '-d', 'overlay', '--opt', 'encrypted', 'wfwgcli']).code).toBe(0);
    expect((await A.api('GET', '/v1.50/networks/wfwgcli')).body.Options).toMatchObject({ encrypted: '', 'com.weft.overlay.encryption': 'wireguard (wireguard-go)' });
  });

  it('containers on A, B and C talk over it; the MTU leaves room for WireGuard', async () => {
    ids.client = await runContainer(A, { name: 'client', network: 'wfwgenc', cmd: ['sleep', '3600'] });
    ids.webB = await runContainer(B, { name: 'webB', network: 'wfwgenc', cmd: ['httpd', '-f', '-p', '80', '-h', '/etc'] });
    ids.webC = await runContainer(C, { name: 'webC', network: 'wfwgenc', cmd: ['httpd', '-f', '-p', '80', '-h', '/etc'] });
    ids.pclient = await runContainer(A, { name: 'pclient', network: 'wfwgplain', cmd: ['sleep', '3600'] });
    ids.pweb = await runContainer(B, { name: 'pweb', network: 'wfwgplain', cmd: ['httpd', '-f', '-p', '80', '-h', '/etc'] });
    for (const k of ['webB', 'webC']) ips[k] = await containerIp(k === 'webB' ? B : C, ids[k], 'wfwgenc');
    ips.pweb = await containerIp(B, ids.pweb, 'wfwgplain');
    await waitFor(() => inNs(A, ids.client, `ping -c1 -W1 ${ips.webB}`).code === 0, 'A to reach B encrypted', 15_000);
    await waitFor(() => inNs(A, ids.client, `ping -c1 -W1 ${ips.webC}`).code === 0, 'A to reach C encrypted', 15_000);
    expect(inNs(A, ids.client, `curl -s --noproxy '*' -m 5 http://${ips.webB}/hostname`).out.trim().length).toBeGreaterThan(0);
    // (ip, not /sys: nsenter --net keeps the host's sysfs)
    expect(inNs(A, ids.client, 'ip -o link show eth0').out).toContain(' mtu 1370 ');
    expect((await mesh(A)).Active).toBe(true);
    // A big ping (fragmented inside the container, never on the way) gets through too.
    expect(inNs(A, ids.client, `ping -c1 -W2 -s 1342 ${ips.webB}`).code).toBe(0);
  }, 90_000);

  it('on the underlay, encrypted traffic is WireGuard UDP only and never shows the payload; plain VXLAN shows it', async () => {
    const enc = await capture(async () => { fetchFrom(A, ids.client, ips.webB); });
    expect(enc.lines.length).toBeGreaterThan(0);
    expect(enc.lines.filter((l) => !/\.51820 > .*\.51820: UDP/.test(l))).toEqual([]);
    expect(enc.bytes.includes(MARKER)).toBe(false);
    const plain = await capture(async () => {
      await waitFor(() => inNs(A, ids.pclient, `ping -c1 -W1 ${ips.pweb}`).code === 0, 'A to reach B plain', 15_000);
      fetchFrom(A, ids.pclient, ips.pweb);
    });
    expect(plain.bytes.includes(MARKER)).toBe(true);
    expect(plain.lines.some((l) => l.includes('.4789'))).toBe(true);
  }, 60_000);

  it('a host that leaves drops its peer everywhere; after a crash it comes back with the same key and no stray wireguard-go', async () => {
    const keyC = (await mesh(C)).PublicKey;
    for (const d of [A, B]) expect(await peersOf(d)).toContain(keyC);
    const pidFile = path.join(C.root, 'wireguard', 'wireguard-go.pid');
    const oldPid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(fs.existsSync(`/proc/${oldPid}`)).toBe(true);
    await C.crash();
    await waitFor(async () => !(await peersOf(A)).includes(keyC) && !(await peersOf(B)).includes(keyC), "C's peer to leave A and B", (TTL + 5) * 1000);
    expect(fs.statSync(path.join(C.root, 'wireguard', 'private.key')).mode & 0o777).toBe(0o600);
    await C.start();
    expect((await mesh(C)).PublicKey).toBe(keyC);
    // The crashed life's wireguard-go was ended; the new one is another process.
    await waitFor(() => !fs.existsSync(`/proc/${oldPid}`) || fs.readFileSync(`/proc/${oldPid}/cmdline`, 'utf8').indexOf('wireguard-go') < 0,
      'the stray wireguard-go to end', 5000);
    await waitFor(async () => (await peersOf(A)).includes(keyC), "C's peer back on A", 10_000);
    await waitFor(() => inNs(A, ids.client, `ping -c1 -W1 ${ips.webC}`).code === 0, 'A to reach C again', 15_000);
  }, 60_000);

  it('rotate-keys gives B a new key; A follows it and traffic flows again', async () => {
    const old = (await mesh(B)).PublicKey;
    const r = B.cli(['network', 'rotate-keys']);
    expect(r.code).toBe(0);
    const fresh = r.stdout.trim();
    expect(fresh).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(fresh).not.toBe(old);
    expect((await mesh(B)).PublicKey).toBe(fresh);
    await waitFor(async () => {
      const p = await peersOf(A);
      return p.includes(fresh) && !p.includes(old);
    }, 'A to swap B\'s key', 10_000);
    await waitFor(() => inNs(A, ids.client, `ping -c1 -W1 ${ips.webB}`).code === 0, 'A to reach B after rotation', 15_000);
  }, 60_000);

  it('a daemon stop ends its wireguard-go and device and drops its peer at once; after the start traffic flows again', async () => {
    const { Device: dev, PublicKey: key } = await mesh(A);
    const pid = Number(fs.readFileSync(path.join(A.root, 'wireguard', 'wireguard-go.pid'), 'utf8'));
    await A.stop(); // a clean stop stops the containers and revokes the lease
    expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
    expect(A.host.sh('ip link')).not.toContain(dev);
    await waitFor(async () => !(await peersOf(B)).includes(key), "A's peer to leave B", 3000);
    await A.start();
    expect((await A.api('POST', `/v1.50/containers/${ids.client}/start`)).status).toBe(204);
    await waitFor(() => inNs(A, ids.client, `ping -c1 -W1 ${ips.webB}`).code === 0, 'A to reach B after its restart', 15_000);
  }, 60_000);

  /** A PATH like the daemon's, without wireguard-go (this kernel has no WireGuard module: the host then has none). */
  function pathWithoutWireguard(): string {
    const dir = fs.mkdtempSync(path.join(c.dir, 'wfwg-nowg-'));
    const linked = new Set(['wireguard-go']);
    for (const d of (process.env.PATH ?? '').split(':').filter((x) => fs.existsSync(x))) {
      for (const f of fs.readdirSync(d).filter((x) => !linked.has(x))) {
        linked.add(f);
        fs.symlinkSync(path.join(d, f), path.join(dir, f));
      }
    }
    return dir;
  }

  it('a host without WireGuard refuses to join an encrypted network, never carrying it in plaintext', async () => {
    const vni = Number((await C.api('GET', '/v1.50/networks/wfwgenc')).body.Options['com.docker.network.driver.overlay.vxlanid_list']);
    await C.stop();
    C.env = { PATH: pathWithoutWireguard() };
    try {
      await C.start();
      expect((await C.api('GET', '/v1.50/info')).body.WeftOverlayEncryption).toBeFalsy();
      const create = await C.api('POST', '/v1.50/containers/create?name=wfwgnowg', {
        Image: 'busybox', Cmd: ['sleep', '3600'], HostConfig: { NetworkMode: 'wfwgenc' } });
      expect(create.status, create.text).toBe(201);
      const start = await C.api('POST', `/v1.50/containers/${create.body.Id}/start`);
      expect(start.status).toBe(400);
      expect(start.text).toContain('encrypted overlay networks need WireGuard');
      expect(C.host.sh('ip -o link')).not.toContain(`vx-${vni}`);
      // (the namespace of C's earlier life may remain, its VXLAN device still on the tunnel address)
      expect(c.inOverlayNs(2, vni, 'ip -d -o link show type vxlan').out).not.toContain(`local ${c.addr(2)} `);
      expect((await C.api('DELETE', `/v1.50/containers/${create.body.Id}?force=true`)).status).toBe(204);
    } finally {
      await C.stop();
      C.env = {};
      await C.start();
    }
    expect((await C.api('POST', `/v1.50/containers/${ids.webC}/start`)).status).toBe(204);
    // Nothing of the life without WireGuard lingers: A reaches C's container over the tunnel again
    // (at its new address: a stopped container's endpoint is released, as Docker does).
    const ipC = await containerIp(C, ids.webC, 'wfwgenc');
    await waitFor(() => inNs(A, ids.client, `ping -c1 -W1 ${ipC}`).code === 0, 'A to reach C after its life without WireGuard', 15_000);
  }, 90_000);

  it('removing the encrypted network ends every wireguard-go and device', async () => {
    const pids = c.hosts.map((h) => Number(fs.readFileSync(path.join(h.root, 'wireguard', 'wireguard-go.pid'), 'utf8')));
    for (const [d, id] of [[A, ids.client], [B, ids.webB], [C, ids.webC]] as const) {
      expect((await d.api('DELETE', `/v1.50/containers/${id}?force=true`)).status).toBe(204);
    }
    expect((await A.api('DELETE', '/v1.50/networks/wfwgenc')).status).toBe(204);
    for (const [i, h] of c.hosts.entries()) {
      await waitFor(() => !fs.existsSync(path.join(h.root, 'wireguard', 'wireguard-go.pid')), 'the pid file to go', 10_000);
      expect(fs.existsSync(`/proc/${pids[i]}`)).toBe(false);
      expect(h.host.sh('ip link')).not.toContain((await mesh(h)).Device);
    }
  }, 60_000);
});
