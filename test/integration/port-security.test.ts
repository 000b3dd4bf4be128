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
import type { LabNs } from '../helpers/lab.js';
import { addNeighbour } from '../helpers/neighbour.js';
import { kill, probe, startServer } from '../helpers/probe.js';

const HOST = '10.253.0.1';
const SUBNET = '10.61.0.0/24';
const LOOPBACK = '127.0.0.2';

describe.each(['nftables', 'iptables'] as const)('published ports against a neighbour (%s backend)', (backend) => {
  let d: TestDaemon;
  let neighbour: LabNs;
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    d = new TestDaemon(backend);
    neighbour = addNeighbour(d, { hostIf: 'wnbr', link: '10.253.0.0/24', routes: [`${LOOPBACK}/32`, SUBNET] }).ns;
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
