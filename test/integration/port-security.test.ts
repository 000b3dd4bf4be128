/**
 * Published ports seen from a hostile neighbour, once per firewall backend (moby's
 * TestAccessPortPublishedOnLoopbackAddress and TestDirectRemoteAccessOnExposedPort): a
 * namespace linked to the host by a veth that routes 127.0.0.2 and the container subnet
 * via the host. A port published on 127.0.0.2 answers the host only; a container port is
 * reached only through its published host port (DNAT), never directly by container address.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerIp, createNet } from '../helpers/containers.js';
import { TestDaemon } from '../helpers/daemon.js';
import { makeNs, type LabNs } from '../helpers/lab.js';
import { kill, probe, startServer } from '../helpers/probe.js';

const HOST = '10.253.0.1';
const NEIGHBOUR = '10.253.0.2';
const SUBNET = '10.61.0.0/24';
const LOOPBACK = '127.0.0.2';

describe.each(['nftables', 'iptables'] as const)('published ports against a neighbour (%s backend)', (backend) => {
  let d: TestDaemon;
  let neighbour: LabNs;
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    d = new TestDaemon(backend);
    neighbour = makeNs('nbr');
    d.host.sh(`ip link add wnbr type veth peer name eth0 netns ${neighbour.name} && ip link set wnbr up
      ip addr add ${HOST}/24 dev wnbr`);
    // The neighbour keeps only 127.0.0.1 for itself, so its route for 127.0.0.2 leads to the host;
    // route_localnet lets it send loopback-addressed packets out of eth0.
    neighbour.sh(`ip addr add ${NEIGHBOUR}/24 dev eth0 && ip link set eth0 up
      ip addr del 127.0.0.1/8 dev lo && ip addr add 127.0.0.1/32 dev lo
      sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.eth0.route_localnet=1
      ip route add ${LOOPBACK}/32 via ${HOST} dev eth0 && ip route add ${SUBNET} via ${HOST} dev eth0`);
    await d.start();
    await createNet(d, { Name: 'sec', IPAM: { Config: [{ Subnet: SUBNET }] } });
  });

  afterAll(async () => {
    if (process.env.WEFT_TEST_LOG) console.log(d?.log.slice(-5000));
    for (const s of servers) kill(s);
    await d?.destroy();
    neighbour?.destroy();
  });

  async function run(name: string, ports: Record<string, { HostIp?: string; HostPort: string }[]>): Promise<string> {
    const create = await d.api('POST', `/v1.50/containers/create?name=${name}`, {
      Image: 'busybox', Cmd: ['sleep', '100000'],
      ExposedPorts: Object.fromEntries(Object.keys(ports).map((k) => [k, {}])),
      HostConfig: { NetworkMode: 'sec', PortBindings: ports },
    });
    expect(create.status, create.text).toBe(201);
    const start = await d.api('POST', `/v1.50/containers/${name}/start`);
    expect(start.status, start.text).toBe(204);
    const info = (await d.api('GET', `/v1.50/containers/${name}/json`)).body;
    servers.push(await startServer(info.NetworkSettings.SandboxKey, name, ['tcp:80']));
    return containerIp(d, name, 'sec');
  }

  it('keeps loopback-published and unpublished paths closed; a normal publish still answers', async () => {
    const loIp = await run('lo5000', { '80/tcp': [{ HostIp: LOOPBACK, HostPort: '5000' }] });
    const pubIp = await run('pub8080', { '80/tcp': [{ HostPort: '8080' }] });
    // The neighbour's routes really lead to the host.
    expect(neighbour.sh(`ip route get ${LOOPBACK}`)).toContain(`via ${HOST}`);
    expect(neighbour.sh(`ip route get ${loIp}`)).toContain(`via ${HOST}`);

    const quick = { timeoutMs: 1000 };
    expect.soft(probe(d.host.path, 'tcp', LOOPBACK, 5000), 'host to its own 127.0.0.2:5000').toBe('tcp:80:lo5000');
    expect.soft(probe(neighbour.path, 'tcp', LOOPBACK, 5000, quick), 'neighbour to the host 127.0.0.2:5000').toBe('');
    expect.soft(probe(neighbour.path, 'tcp', loIp, 80, quick), 'neighbour directly to a container port published on loopback').toBe('');
    expect.soft(probe(neighbour.path, 'tcp', pubIp, 80, quick), 'neighbour directly to a container port published on 0.0.0.0').toBe('');
    expect.soft(probe(neighbour.path, 'tcp', HOST, 8080), 'neighbour through the published host port').toBe('tcp:80:pub8080');
  });
});
