/**
 * A kill -9 while a running container's published ports move with its networks (a connect
 * that gives them a network to be served on, a disconnect of the network that served them):
 * at each step of the move the restarted daemon comes back in one whole state. What inspect
 * reports is what is served, from the container's own process; the rules and host sockets
 * of the port name only addresses the container has now; and the container's network list
 * matches its endpoints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNet } from '../helpers/containers.js';
import { crashAt } from '../helpers/crash.js';
import { TestDaemon } from '../helpers/daemon.js';
import { makeNs, type LabNs } from '../helpers/lab.js';
import { probe } from '../helpers/probe.js';

const HOST = '10.254.16.1';
const POINTS = ['container.ports.follow', 'endpoint.ports.recorded', 'endpoint.ports.revoked'];

describe.each(['nftables', 'iptables'] as const)('published ports moving across a kill -9 (%s)', (backend) => {
  let d: TestDaemon;
  let outside: LabNs;
  let port = 8300;

  beforeAll(async () => {
    d = new TestDaemon(backend, makeNs('wp15f'));
    outside = makeNs('wp15fo');
    d.host.sh(`ip link add wp15f type veth peer name eth0 netns ${outside.name} && ip link set wp15f up && ip addr add ${HOST}/24 dev wp15f`);
    outside.sh('ip addr add 10.254.16.2/24 dev eth0 && ip link set eth0 up');
    await d.start();
    await createNet(d, { Name: 'wp15-fint', Internal: true, IPAM: { Config: [{ Subnet: '10.73.0.0/24' }] } });
    await createNet(d, { Name: 'wp15-fa', IPAM: { Config: [{ Subnet: '10.74.0.0/24' }] } });
    await createNet(d, { Name: 'wp15-fb', IPAM: { Config: [{ Subnet: '10.75.0.0/24' }] } });
  });

  afterAll(async () => {
    if (process.env.WEFT_TEST_LOG) console.log(d?.log.slice(-5000));
    await d?.destroy();
    outside?.destroy();
  });

  /** A container on `networks` (the first at create, the rest connected before start) whose own process serves tcp:80. */
  async function run(name: string, networks: string[], hostPort: number): Promise<void> {
    const create = await d.api('POST', `/v1.50/containers/create?name=${name}`, {
      Image: 'busybox', Cmd: ['sh', '-c', `exec nc -ll -p 80 -e echo ${name}`], ExposedPorts: { '80/tcp': {} },
      HostConfig: { NetworkMode: networks[0], PortBindings: { '80/tcp': [{ HostPort: String(hostPort) }] } },
    });
    expect(create.status, create.text).toBe(201);
    for (const n of networks.slice(1)) expect((await d.api('POST', `/v1.50/networks/${n}/connect`, { Container: name })).status).toBe(200);
    const start = await d.api('POST', `/v1.50/containers/${name}/start`);
    expect(start.status, start.text).toBe(204);
  }

  const traces = (p: number): string => d.host.sh(
    `{ nft list ruleset 2>/dev/null; iptables-save 2>/dev/null; } | grep -w ${p} || true; ss -Hltn 'sport = :${p}'`).trim();

  /** One whole state: reported and served, or neither; no rule names an address the container no longer has. */
  async function expectWhole(name: string, p: number, before: string, after: string): Promise<string> {
    const info = (await d.api('GET', `/v1.50/containers/${name}/json`)).body;
    const nets = info.NetworkSettings.Networks as Record<string, { IPAddress: string; EndpointID: string }>;
    for (const [n, s] of Object.entries(nets)) expect(s.EndpointID, `${name} on ${n}`).not.toBe('');
    const reported = (info.NetworkSettings.Ports['80/tcp'] ?? []).map((b: { HostPort: string }) => b.HostPort);
    const state = Object.keys(nets).sort().join(',');
    expect([before, after]).toContain(state);
    const answer = probe(outside.path, 'tcp', HOST, p);
    const local = probe(d.host.path, 'tcp', '127.0.0.1', p);
    if (reported.length) {
      expect(reported).toEqual([String(p), String(p)]);
      expect([answer, local]).toEqual([name, name]);
    } else {
      expect([answer, local, traces(p)]).toEqual(['', '', '']);
    }
    const mine = Object.values(nets).map((s) => s.IPAddress);
    for (const addr of traces(p).match(/10\.7[3-5]\.0\.\d+/g) ?? []) expect(mine).toContain(addr);
    return reported.length ? 'served' : 'withdrawn';
  }

  for (const point of POINTS) {
    it(`connect of a normal network to an internal-only container, killed at ${point}`, async () => {
      const p = port++;
      const name = `wp15-fc${p}`;
      await run(name, ['wp15-fint'], p);
      await crashAt(d, point, () => d.api('POST', '/v1.50/networks/wp15-fa/connect', { Container: name }));
      const state = await expectWhole(name, p, 'wp15-fint', 'wp15-fa,wp15-fint');
      // The connect reached its endpoint's commit at each of these points: the restart serves the ports.
      expect(state).toBe('served');
    }, 120_000);

    it(`disconnect of the publishing network of a container on two, killed at ${point}`, async () => {
      const p = port++;
      const name = `wp15-fd${p}`;
      await run(name, ['wp15-fa', 'wp15-fb'], p);
      await crashAt(d, point, () => d.api('POST', '/v1.50/networks/wp15-fa/disconnect', { Container: name }));
      expect(await expectWhole(name, p, 'wp15-fa,wp15-fb', 'wp15-fb')).toBe('served');
    }, 120_000);
  }
});
