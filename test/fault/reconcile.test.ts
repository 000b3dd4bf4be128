/**
 * Reconcile after a kill -9: each case makes one kind of orphan the way a crash does (a
 * failpoint kills the daemon between two steps of a request), restarts the daemon and
 * checks that the kernel holds exactly what the records say: no container process, veth,
 * bridge, namespace mount or published-port rule without an owner, the port of a gone
 * container does not answer, and a new container gets an address no one else has.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerIp, createNet } from '../helpers/containers.js';
import { crashAt } from '../helpers/crash.js';
import { TestDaemon, waitFor } from '../helpers/daemon.js';
import { makeNs, type LabNs } from '../helpers/lab.js';
import { probe } from '../helpers/probe.js';

const HOST = '10.254.0.1';
/** The container's own process answers on tcp:80 with its tag (no helper process keeps its namespace alive). */
const serve = (tag: string) => ['sh', '-c', `exec nc -ll -p 80 -e echo ${tag}`];

async function create(d: TestDaemon, name: string, o: { network?: string; ports?: Record<string, unknown> } = {}): Promise<string> {
  const net = o.network ?? 'bridge';
  const r = await d.api('POST', `/v1.50/containers/create?name=${name}`, {
    Image: 'busybox', Cmd: serve(name), ExposedPorts: { '80/tcp': {} },
    HostConfig: { NetworkMode: net, ...(o.ports ? { PortBindings: o.ports } : {}) },
  });
  expect(r.status, r.text).toBe(201);
  return r.body.Id;
}

async function start(d: TestDaemon, ref: string): Promise<void> {
  const r = await d.api('POST', `/v1.50/containers/${ref}/start`);
  expect(r.status, r.text).toBe(204);
}

/** Host-side interfaces enslaved to a bridge. */
function portsOf(d: TestDaemon, bridge: string): string[] {
  const out = d.host.sh(`ip -o link show master ${bridge} 2>/dev/null || true`);
  return out.split('\n').filter(Boolean).map((l) => l.split(':')[1].trim().split('@')[0]);
}

/** Endpoints the records have on a network (its inspect's Containers). */
async function endpointCount(d: TestDaemon, network: string): Promise<number> {
  const r = await d.api('GET', `/v1.50/networks/${network}`);
  return Object.keys(r.body.Containers ?? {}).length;
}

function natRules(d: TestDaemon): string {
  return d.backend === 'nftables' ? d.host.sh('nft list table inet weft') : d.host.sh('iptables-save -t nat');
}

function publishes(d: TestDaemon, port: number): boolean {
  const text = natRules(d);
  return d.backend === 'nftables' ? new RegExp(`tcp \\. ${port} :`).test(text) : text.includes(`--dport ${port} -j DNAT`);
}

function netnsMounts(d: TestDaemon): string[] {
  const dir = path.join(d.runDir, 'netns');
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(`${dir}/`)).map((m) => path.basename(m));
}

function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function pidsOf(d: TestDaemon, id: string): number[] {
  const dir = path.join(d.root, 'containers', id);
  return ['init.pid', 'pid'].map((f) => Number(fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : 0))
    .filter((p) => p > 1);
}

/** Every veth on the bridge belongs to an endpoint the records have. */
async function expectBridgeMatchesRecords(d: TestDaemon, bridge: string, network: string): Promise<void> {
  const want = await endpointCount(d, network);
  await waitFor(() => portsOf(d, bridge).length === want, `${bridge} to carry exactly ${want} veth(s): ${portsOf(d, bridge)}`);
}

describe.each(['nftables', 'iptables'] as const)('reconcile after kill -9 (%s)', (backend) => {
  let d: TestDaemon;
  let outside: LabNs;

  beforeAll(async () => {
    d = new TestDaemon(backend, makeNs('rcn'));
    outside = makeNs('rcnout');
    d.host.sh(`ip link add wout type veth peer name eth0 netns ${outside.name} && ip link set wout up && ip addr add ${HOST}/24 dev wout`);
    outside.sh('ip addr add 10.254.0.2/24 dev eth0 && ip link set eth0 up && ip route add default via 10.254.0.1');
    await d.start();
  });

  afterAll(async () => {
    if (process.env.WEFT_TEST_LOG) console.log(d?.log.slice(-5000));
    await d?.destroy();
    outside?.destroy();
  });

  it('kills a container process started just before the crash, with its veth, rules and address', async () => {
    const id = await create(d, 'orphan', { ports: { '80/tcp': [{ HostPort: '8080' }] } });
    await crashAt(d, 'container.start.process', () => d.api('POST', `/v1.50/containers/${id}/start`));
    const pids = pidsOf(d, id);
    expect(pids.length).toBeGreaterThan(0);

    await waitFor(() => pids.every((p) => !alive(p)), `the orphan's processes ${pids} to be killed`);
    await expectBridgeMatchesRecords(d, 'weft0', 'bridge');
    expect(publishes(d, 8080)).toBe(false);
    expect(probe(outside.path, 'tcp', HOST, 8080)).toBe('');
    expect(netnsMounts(d)).toEqual([]);

    const fresh = await create(d, 'fresh');
    await start(d, fresh);
    const ip = await containerIp(d, fresh, 'bridge');
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(portsOf(d, 'weft0')).toHaveLength(1);
    // Answered by fresh, the only holder of the address.
    expect(d.host.try(`timeout 3 busybox nc ${ip} 80 </dev/null`).out.trim()).toBe('fresh');
    for (const c of [id, fresh]) expect((await d.api('DELETE', `/v1.50/containers/${c}?force=1`)).status).toBe(204);
  }, 120_000);

  it('removes the DNAT of an endpoint that never got its record, so the port is not hijacked later', async () => {
    const id = await create(d, 'halfport', { ports: { '80/tcp': [{ HostPort: '8081' }] } });
    await crashAt(d, 'endpoint.create.published', () => d.api('POST', `/v1.50/containers/${id}/start`));
    expect(publishes(d, 8081)).toBe(false);
    // The next container gets the address the DNAT pointed at: 8081 must not reach it.
    const thief = await create(d, 'thief');
    await start(d, thief);
    expect(probe(outside.path, 'tcp', HOST, 8081)).toBe('');
    await expectBridgeMatchesRecords(d, 'weft0', 'bridge');
    for (const c of [id, thief]) expect((await d.api('DELETE', `/v1.50/containers/${c}?force=1`)).status).toBe(204);
  }, 120_000);
});

describe('reconcile after kill -9: records and namespaces', () => {
  let d: TestDaemon;

  beforeAll(async () => {
    d = new TestDaemon('nftables', makeNs('rcn'));
    await d.start();
  });

  afterAll(async () => {
    if (process.env.WEFT_TEST_LOG) console.log(d?.log.slice(-5000));
    await d?.destroy();
  });

  async function networksOf(ref: string): Promise<Record<string, { EndpointID: string }>> {
    return (await d.api('GET', `/v1.50/containers/${ref}/json`)).body.NetworkSettings.Networks;
  }

  it('a running container lists exactly the networks it has an endpoint on (crash in disconnect and in connect)', async () => {
    await createNet(d, { Name: 'rcn-a' });
    await createNet(d, { Name: 'rcn-b' });
    const id = await create(d, 'lists', { network: 'rcn-a' });
    await start(d, id);
    const connect = () => d.api('POST', '/v1.50/networks/rcn-b/connect', { Container: id });
    expect((await connect()).status).toBe(200);

    await crashAt(d, 'container.disconnect.endpoint', () => d.api('POST', '/v1.50/networks/rcn-b/disconnect', { Container: id }));
    let nets = await networksOf(id);
    expect(Object.keys(nets).sort()).toEqual(['rcn-a']);
    expect(nets['rcn-a'].EndpointID).not.toBe('');

    // The endpoint and the container's list commit together: a connect cut short before that
    // commit is rolled back, and done again by the client.
    await crashAt(d, 'container.connect.endpoint', connect);
    nets = await networksOf(id);
    expect(Object.keys(nets).sort()).toEqual(['rcn-a']);
    expect((await connect()).status).toBe(200);
    nets = await networksOf(id);
    expect(Object.keys(nets).sort()).toEqual(['rcn-a', 'rcn-b']);
    for (const n of Object.values(nets)) expect(n.EndpointID).not.toBe('');
    expect((await d.api('DELETE', `/v1.50/containers/${id}?force=1`)).status).toBe(204);
  }, 120_000);

  it('finishes a removal cut short after the runtime removed the container\'s directory', async () => {
    const id = await create(d, 'halfgone');
    await start(d, id);
    await crashAt(d, 'container.rm.runtime', () => d.api('DELETE', `/v1.50/containers/${id}?force=1`));
    expect((await d.api('GET', `/v1.50/containers/${id}/json`)).status).toBe(404);
    // The name is free again: a new container of that name starts.
    const again = await create(d, 'halfgone');
    await start(d, again);
    expect((await d.api('DELETE', `/v1.50/containers/${again}?force=1`)).status).toBe(204);
  }, 120_000);

  it('removes namespace mounts, veths and bridges of weft that no record owns, and nothing else', async () => {
    await d.crash();
    const stale = path.join(d.runDir, 'netns', '0123456789ab');
    fs.writeFileSync(stale, '');
    // In the test's (the daemon's) mount namespace: `ip netns exec` would make its own.
    execFileSync('unshare', [`--net=${stale}`, 'true']);
    d.host.sh('ip link add br-0123456789ab type bridge && ip link add rcnbr0 type bridge');
    d.host.sh('ip link add veth0badc0d type veth peer name rcnpeer0 && ip link set veth0badc0d master weft0');
    d.host.sh('ip link add veth1badc0d type veth peer name rcnpeer1 && ip link set veth1badc0d master rcnbr0');
    await d.start();
    expect(netnsMounts(d)).toEqual([]);
    expect(d.host.try('ip link show br-0123456789ab').code).not.toBe(0);
    expect(d.host.try('ip link show veth0badc0d').code).not.toBe(0);
    // Not weft's: a bridge of another name, and whatever is on it.
    expect(d.host.try('ip link show rcnbr0').code).toBe(0);
    expect(d.host.try('ip link show veth1badc0d').code).toBe(0);
    d.host.sh('ip link del veth1badc0d && ip link del rcnbr0');
  }, 120_000);

  it('starts when a sandbox path is no longer a namespace, and the container keeps its network', async () => {
    const id = await create(d, 'stale', { network: 'rcn-a' });
    await start(d, id);
    const ip = await containerIp(d, id, 'rcn-a');
    const nsPath = (await d.api('GET', `/v1.50/containers/${id}/json`)).body.NetworkSettings.SandboxKey as string;
    await d.crash();
    // The namespace mount is replaced by a mount of a plain file: a path, but no namespace.
    const plain = `/dev/shm/rcn-plain-${process.pid}`;
    fs.writeFileSync(plain, '');
    execFileSync('umount', [nsPath]);
    execFileSync('mount', ['--bind', plain, nsPath]);
    await d.start();
    expect((await d.api('GET', `/v1.50/containers/${id}/json`)).body.State.Running).toBe(true);
    expect(d.host.try(`timeout 3 busybox nc ${ip} 80 </dev/null`).out.trim()).toBe('stale');
    expect((await d.api('DELETE', `/v1.50/containers/${id}?force=1`)).status).toBe(204);
    expect(netnsMounts(d)).toEqual([]);
    fs.rmSync(plain);
  }, 120_000);
});
