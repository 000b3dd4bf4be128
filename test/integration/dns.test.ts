/**
 * Service discovery with real queries from inside containers (busybox nslookup), a
 * stand-in upstream resolver in another lab namespace (never the real internet), and a
 * host firewall whose INPUT policy is drop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerIp, createNet, execIn, runContainer } from '../helpers/containers.js';
import { REPO, TestDaemon } from '../helpers/daemon.js';
import { makeNs, type LabNs } from '../helpers/lab.js';
import { kill, probe, startServer } from '../helpers/probe.js';
import { resolverScript } from '../helpers/stand-in-resolver.js';

const UPSTREAM = '10.254.0.2';

/** A tiny authoritative stand-in: outside.test A 192.0.2.7, NXDOMAIN for the rest. */
const RESOLVER = resolverScript(UPSTREAM, '192.0.2.7');

describe('embedded DNS', () => {
  let d: TestDaemon;
  let outside: LabNs;
  let resolver: ChildProcess;
  let flooder: ChildProcess | undefined;
  let own: ChildProcess | undefined;

  beforeAll(async () => {
    const host = makeNs('dnshost');
    d = new TestDaemon('nftables', host, ['--dns', UPSTREAM]);
    outside = makeNs('dnsout');
    host.sh(`ip link add wout type veth peer name eth0 netns ${outside.name} && ip addr add 10.254.0.1/24 dev wout && ip link set wout up`);
    outside.sh(`ip addr add ${UPSTREAM}/24 dev eth0 && ip link set eth0 up`);
    // The host's own firewall drops everything arriving unless it belongs to a known flow.
    host.sh('iptables -P INPUT DROP && iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT');
    resolver = spawn('ip', ['netns', 'exec', outside.name, process.execPath, '-e', RESOLVER], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => resolver.stdout!.on('data', (x) => String(x).includes('ready') && r()));
    await d.start();
    await createNet(d, { Name: 'n1', IPAM: { Config: [{ Subnet: '10.50.0.0/24' }] } });
    await createNet(d, { Name: 'n2', IPAM: { Config: [{ Subnet: '10.51.0.0/24' }] } });
    await createNet(d, { Name: 'sealed', Internal: true, IPAM: { Config: [{ Subnet: '10.52.0.0/24' }] } });
  });

  afterAll(async () => {
    kill(resolver);
    kill(flooder);
    kill(own);
    await d?.destroy();
    outside?.destroy();
  });

  /** The addresses busybox nslookup prints for name ([] when it fails). */
  async function resolve(container: string, name: string): Promise<string[]> {
    const r = await execIn(d, container, ['nslookup', '-type=a', name]);
    if (r.code !== 0) return [];
    const answer = r.stdout.split(/\n\s*\n/).slice(1).join('\n');
    return [...answer.matchAll(/Address:\s*([0-9a-f.:]+)/g)].map((m) => m[1]);
  }

  it('resolves names, aliases and short ids on each network of a two-network container', async () => {
    await runContainer(d, { name: 'alpha', network: 'n1', aliases: ['web-alias'], cmd: ['sleep', '100000'] });
    await runContainer(d, { name: 'gamma', network: 'n2', cmd: ['sleep', '100000'] });
    const beta = await runContainer(d, { name: 'beta', network: 'n1', cmd: ['sleep', '100000'] });
    expect((await d.api('POST', '/v1.50/networks/n2/connect', { Container: 'beta' })).status).toBe(200);
    const alphaIp = await containerIp(d, 'alpha', 'n1');
    const gammaIp = await containerIp(d, 'gamma', 'n2');
    expect(await resolve('beta', 'alpha')).toEqual([alphaIp]);
    expect(await resolve('beta', 'web-alias')).toEqual([alphaIp]);
    expect(await resolve('beta', 'gamma')).toEqual([gammaIp]);
    expect(await resolve('beta', 'alpha.n1')).toEqual([alphaIp]);
    expect(await resolve('alpha', beta.slice(0, 12))).toEqual([await containerIp(d, 'beta', 'n1')]);
    // resolv.conf points at the embedded resolver.
    expect((await execIn(d, 'beta', ['cat', '/etc/resolv.conf'])).stdout).toContain('nameserver 127.0.0.11');
  });

  it('does not resolve a name on a network the asker is not on', async () => {
    expect(await resolve('alpha', 'gamma')).toEqual([]);
  });

  it('stops resolving a removed container; resolves an alias given at connect', async () => {
    expect((await d.api('DELETE', '/v1.50/containers/gamma?force=1')).status).toBe(204);
    expect(await resolve('beta', 'gamma')).toEqual([]);
    const c = await d.api('POST', '/v1.50/networks/n2/connect', { Container: 'alpha', EndpointConfig: { Aliases: ['x'] } });
    expect(c.status, c.text).toBe(200);
    expect(await resolve('beta', 'x')).toEqual([await containerIp(d, 'alpha', 'n2')]);
  });

  it('forwards outside names to the upstream resolver, but not from an internal network', async () => {
    expect(await resolve('alpha', 'outside.test')).toEqual(['192.0.2.7']);
    await runContainer(d, { name: 'hermit', network: 'sealed', cmd: ['sleep', '100000'] });
    const r = await execIn(d, 'hermit', ['nslookup', '-type=a', 'outside.test']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/NXDOMAIN|can't find/);
  });

  it('keeps the default bridge on the host resolvers, as Docker does', async () => {
    await runContainer(d, { name: 'plain', network: 'bridge', cmd: ['sleep', '100000'] });
    expect((await execIn(d, 'plain', ['cat', '/etc/resolv.conf'])).stdout).not.toContain('127.0.0.11');
  });

  it('survives 1,000 malformed packets and still answers', async () => {
    const key = (await d.api('GET', '/v1.50/containers/alpha/json')).body.NetworkSettings.SandboxKey;
    const script = `
const dgram = require('dgram'), crypto = require('crypto');
const s = dgram.createSocket('udp4');
let left = 1000;
const next = () => {
  if (left-- === 0) { s.close(); console.log('sent'); return; }
  const kind = left % 4;
  const buf = kind === 0 ? crypto.randomBytes(1 + (left % 600))
    : kind === 1 ? Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x05, 0x61])
    : kind === 2 ? Buffer.from([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0])
    : Buffer.alloc(3);
  s.send(buf, 53, '127.0.0.11', next);
};
next();`;
    flooder = spawn('nsenter', [`--net=${key}`, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => flooder!.on('exit', () => r()));
    expect(await resolve('beta', 'alpha')).toEqual([await containerIp(d, 'alpha', 'n1')]);
  });

  it('leaves port 53 free for a DNS server of the container itself', async () => {
    const key = (await d.api('GET', '/v1.50/containers/alpha/json')).body.NetworkSettings.SandboxKey;
    own = await startServer(key, 'alpha', ['udp:53', 'tcp:53']);
    const betaKey = (await d.api('GET', '/v1.50/containers/beta/json')).body.NetworkSettings.SandboxKey;
    expect(probe(betaKey, 'udp', await containerIp(d, 'alpha', 'n1'), 53)).toBe('udp:53:alpha');
    expect(await resolve('beta', 'alpha')).toEqual([await containerIp(d, 'alpha', 'n1')]);
  });

  it('answers again after a daemon crash and restart', async () => {
    await d.crash();
    await d.start();
    expect(await resolve('beta', 'alpha')).toEqual([await containerIp(d, 'alpha', 'n1')]);
  });
});
