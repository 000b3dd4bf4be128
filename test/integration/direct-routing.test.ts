/**
 * Docker 28's direct routing protection, once per firewall backend, probed from a neighbour
 * that routes the container subnets and 127.0.0.0/8 via the daemon's namespace:
 *   - a port published on a loopback address answers the host only;
 *   - container addresses are closed to the neighbour, published or not;
 *   - `com.docker.network.bridge.trusted_host_interfaces` (set with the docker CLI) opens a network's published
 *     container ports by address to the interfaces it names;
 *   - the daemon's `--allow-direct-routing` opens them to every interface.
 * Unpublished container ports stay closed in every case; the host keeps its direct access.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerIp, createNet, runContainer } from '../helpers/containers.js';
import { TestDaemon } from '../helpers/daemon.js';
import { DockerCli } from '../helpers/docker-cli.js';
import { addNeighbour, type Neighbour } from '../helpers/neighbour.js';
import { kill, probe, startServer } from '../helpers/probe.js';

const TRUSTED_KEY = 'com.docker.network.bridge.trusted_host_interfaces';
const LOOPBACK = '127.0.0.2';
const quick = { timeoutMs: 1000 };

interface Lab {
  d: TestDaemon;
  nbr: Neighbour;
  servers: ChildProcess[];
}

async function lab(backend: TestDaemon['backend'], subnets: string[], args: string[] = []): Promise<Lab> {
  const d = new TestDaemon(backend, undefined, args);
  const nbr = addNeighbour(d, { hostIf: 'wfdrnb', link: '10.252.0.0/24', routes: [...subnets, '127.0.0.0/8'] });
  await d.start();
  return { d, nbr, servers: [] };
}

async function destroyLab(l: Lab | undefined): Promise<void> {
  for (const s of l?.servers ?? []) kill(s);
  await l?.d.destroy();
  l?.nbr.ns.destroy();
}

/** A container serving tcp:80 (published as `ports`) and tcp:81 (never published); returns its address. */
async function serve(l: Lab, name: string, network: string, ports: Record<string, { HostIp?: string; HostPort: string }[]>): Promise<string> {
  await runContainer(l.d, { name, network, cmd: ['sleep', '100000'], ports });
  const info = (await l.d.api('GET', `/v1.50/containers/${name}/json`)).body;
  l.servers.push(await startServer(info.NetworkSettings.SandboxKey, name, ['tcp:80', 'tcp:81']));
  return containerIp(l.d, name, network);
}

describe.each(['nftables', 'iptables'] as const)('direct routing protection (%s backend)', (backend) => {
  let l: Lab;
  let cli: DockerCli | undefined;
  const ips: Record<string, string> = {};

  beforeAll(async () => {
    l = await lab(backend, ['10.81.0.0/24', '10.82.0.0/24']);
    cli = new DockerCli(l.d);
    const net = cli.run(['network', 'create', '--subnet', '10.81.0.0/24', '-o', `${TRUSTED_KEY}=wfdrx:wfdrnb`, 'wfdr-trusted']);
    expect(net.code, net.err).toBe(0);
    await createNet(l.d, { Name: 'wfdr-plain', IPAM: { Config: [{ Subnet: '10.82.0.0/24' }] } });
    ips.trusted = await serve(l, 'wfdr-t', 'wfdr-trusted', { '80/tcp': [{ HostPort: '8090' }] });
    ips.plain = await serve(l, 'wfdr-p', 'wfdr-plain', { '80/tcp': [{ HostIp: LOOPBACK, HostPort: '8091' }] });
  });

  afterAll(() => {
    cli?.cleanup();
    return destroyLab(l);
  });

  it('keeps loopback-published ports and container addresses closed to the neighbour', () => {
    const nbr = l.nbr.ns.path;
    expect(l.nbr.ns.sh(`ip route get ${LOOPBACK}`)).toContain(`via ${l.nbr.hostAddr}`);
    expect.soft(probe(l.d.host.path, 'tcp', LOOPBACK, 8091), 'host to its own loopback-published port').toBe('tcp:80:wfdr-p');
    expect.soft(probe(nbr, 'tcp', LOOPBACK, 8091, quick), 'neighbour to the loopback-published port').toBe('');
    expect.soft(probe(nbr, 'tcp', ips.plain, 80, quick), 'neighbour to a published container port by address').toBe('');
    expect.soft(probe(nbr, 'tcp', ips.plain, 81, quick), 'neighbour to an unpublished container port').toBe('');
    expect.soft(probe(l.d.host.path, 'tcp', ips.plain, 81), 'the host to an unpublished container port').toBe('tcp:81:wfdr-p');
  });

  it('opens published container ports, and only those, to a trusted host interface', () => {
    const nbr = l.nbr.ns.path;
    expect.soft(probe(nbr, 'tcp', ips.trusted, 80), 'trusted interface to a published container port').toBe('tcp:80:wfdr-t');
    expect.soft(probe(nbr, 'tcp', ips.trusted, 81, quick), 'trusted interface to an unpublished port').toBe('');
    expect.soft(probe(nbr, 'tcp', l.nbr.hostAddr, 8090), 'through the published host port').toBe('tcp:80:wfdr-t');
  });

  it('refuses a trusted interface name the kernel could not have', async () => {
    const r = await l.d.api('POST', '/v1.50/networks/create', { Name: 'wfdr-bad', Options: { [TRUSTED_KEY]: 'ok0:bad name' } });
    expect(r.status, r.text).toBe(400);
    expect((await l.d.api('GET', '/v1.50/networks/wfdr-bad')).status).toBe(404);
  });
});

describe.each(['nftables', 'iptables'] as const)('--allow-direct-routing (%s backend)', (backend) => {
  let l: Lab;
  let ip: string;

  beforeAll(async () => {
    l = await lab(backend, ['10.83.0.0/24'], ['--allow-direct-routing']);
    await createNet(l.d, { Name: 'wfdr-direct', IPAM: { Config: [{ Subnet: '10.83.0.0/24' }] } });
    ip = await serve(l, 'wfdr-d', 'wfdr-direct', { '80/tcp': [{ HostIp: LOOPBACK, HostPort: '8092' }] });
  });

  afterAll(() => destroyLab(l));

  it('opens published container ports by address; loopback and unpublished ports stay closed', () => {
    const nbr = l.nbr.ns.path;
    expect.soft(probe(nbr, 'tcp', ip, 80), 'neighbour to a published container port').toBe('tcp:80:wfdr-d');
    expect.soft(probe(nbr, 'tcp', ip, 81, quick), 'neighbour to an unpublished port').toBe('');
    expect.soft(probe(nbr, 'tcp', LOOPBACK, 8092, quick), 'neighbour to the loopback-published port').toBe('');
    expect.soft(probe(l.d.host.path, 'tcp', LOOPBACK, 8092), 'host to its loopback-published port').toBe('tcp:80:wfdr-d');
  });
});
