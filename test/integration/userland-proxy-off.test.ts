/**
 * dockerd --userland-proxy=false, once per firewall backend: published ports are served by
 * DNAT alone, loopback included (route_localnet on the bridge, DNAT in OUTPUT for 127.0.0.0/8
 * and a masquerade of loopback sources), with no socket held on the host port. A neighbour
 * routing 127.0.0.0/8 via the daemon's namespace still never reaches a loopback-published port.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNet, runContainer } from '../helpers/containers.js';
import { TestDaemon } from '../helpers/daemon.js';
import { addNeighbour, type Neighbour } from '../helpers/neighbour.js';
import { kill, probe, startServer } from '../helpers/probe.js';

const SUBNET = '10.84.0.0/24';
const LOOPBACK = '127.0.0.2';

describe.each(['nftables', 'iptables'] as const)('--userland-proxy=false (%s backend)', (backend) => {
  let d: TestDaemon;
  let nbr: Neighbour;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    d = new TestDaemon(backend, undefined, ['--userland-proxy=false']);
    nbr = addNeighbour(d, { hostIf: 'wfdrup', link: '10.251.0.0/24', routes: [SUBNET, '127.0.0.0/8'] });
    await d.start();
    await createNet(d, { Name: 'wfdr-noproxy', IPAM: { Config: [{ Subnet: SUBNET }] } });
    await runContainer(d, {
      name: 'wfdr-np', network: 'wfdr-noproxy', cmd: ['sleep', '100000'],
      ports: { '80/tcp': [{ HostPort: '8095' }], '81/tcp': [{ HostIp: LOOPBACK, HostPort: '8096' }] },
    });
    const info = (await d.api('GET', '/v1.50/containers/wfdr-np/json')).body;
    server = await startServer(info.NetworkSettings.SandboxKey, 'np', ['tcp:80', 'tcp:81']);
  });

  afterAll(async () => {
    kill(server);
    await d?.destroy();
    nbr?.ns.destroy();
  });

  it('serves published ports by DNAT from the host address, from loopback and from a neighbour', () => {
    const host = d.host.path;
    expect.soft(probe(host, 'tcp', nbr.hostAddr, 8095), 'host through its own address').toBe('tcp:80:np');
    expect.soft(probe(host, 'tcp', '127.0.0.1', 8095), 'host through 127.0.0.1').toBe('tcp:80:np');
    expect.soft(probe(host, 'tcp', LOOPBACK, 8096), 'host through the loopback-published port').toBe('tcp:81:np');
    expect.soft(probe(nbr.ns.path, 'tcp', nbr.hostAddr, 8095), 'neighbour through the host address').toBe('tcp:80:np');
    expect.soft(probe(nbr.ns.path, 'tcp', LOOPBACK, 8096, { timeoutMs: 1000 }), 'neighbour to the loopback-published port').toBe('');
  });

  it('holds no socket on the published host ports', () => {
    const sockets = d.host.sh('ss -Htuan').split('\n').filter((l) => /:(8095|8096)\s/.test(l) && !/ESTAB|TIME-WAIT|CLOSE/.test(l));
    expect(sockets).toEqual([]);
  });
});
