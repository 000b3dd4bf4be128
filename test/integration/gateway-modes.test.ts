/**
 * Docker 28's gateway modes (`com.docker.network.bridge.gateway_mode_ipv4`), created with
 * the docker CLI and probed from a neighbour namespace that routes every container subnet
 * via the host, once per firewall backend:
 *   nat             only the published host port answers; outbound leaves as the host;
 *   nat-unprotected every container port answers by address; outbound leaves as the host;
 *   routed          published container ports (and ping) answer by address, others do not;
 *                   outbound keeps the container's address;
 *   isolated        internal, and the host bridge has no address.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerIp } from '../helpers/containers.js';
import { TestDaemon } from '../helpers/daemon.js';
import { DockerCli } from '../helpers/docker-cli.js';
import type { LabNs } from '../helpers/lab.js';
import { addNeighbour, startSourceEcho } from '../helpers/neighbour.js';
import { kill, probe, startServer } from '../helpers/probe.js';

const HOST = '10.254.0.1';
const NEIGHBOUR = '10.254.0.2';
const SUBNETS = { nat: '10.73.0.0/24', 'nat-unprotected': '10.72.0.0/24', routed: '10.71.0.0/24' } as const;
type Mode = keyof typeof SUBNETS;
const MODE_KEY = 'com.docker.network.bridge.gateway_mode_ipv4';


describe.each(['nftables', 'iptables'] as const)('gateway modes (%s backend)', (backend) => {
  let d: TestDaemon;
  let cli: DockerCli;
  let neighbour: LabNs;
  const servers: ChildProcess[] = [];
  const ips: Partial<Record<Mode, string>> = {};
  const keys: Partial<Record<Mode, string>> = {};

  beforeAll(async () => {
    d = new TestDaemon(backend);
    neighbour = addNeighbour(d, { hostIf: 'wgnbr', link: '10.254.0.0/24', routes: Object.values(SUBNETS) }).ns;
    await d.start();
    cli = new DockerCli(d);
    servers.push(await startSourceEcho(neighbour.path));
    for (const [i, mode] of (Object.keys(SUBNETS) as Mode[]).entries()) {
      const net = cli.run(['network', 'create', '--subnet', SUBNETS[mode], '-o', `${MODE_KEY}=${mode}`, `wg-${mode}`]);
      expect(net.code, net.err).toBe(0);
      const run = cli.run(['run', '-d', '--name', `wg-${mode}`, '--network', `wg-${mode}`, '-p', `${8080 + i}:80`, 'busybox', 'sleep', '100000']);
      expect(run.code, run.err).toBe(0);
      const info = (await d.api('GET', `/v1.50/containers/wg-${mode}/json`)).body;
      keys[mode] = info.NetworkSettings.SandboxKey;
      servers.push(await startServer(keys[mode]!, mode, ['tcp:80', 'tcp:81']));
      ips[mode] = await containerIp(d, `wg-${mode}`, `wg-${mode}`);
    }
  });

  afterAll(async () => {
    if (process.env.WEFT_TEST_LOG) console.log(d?.log.slice(-5000));
    for (const s of servers) kill(s);
    cli?.cleanup();
    await d?.destroy();
    neighbour?.destroy();
  });

  const quick = { timeoutMs: 1000 };
  const ping = (ip: string) => neighbour.try(`ping -c1 -W1 ${ip}`).code === 0;
  /** The address a connection from the container to the neighbour arrives from. */
  const seenFrom = (mode: Mode) => probe(keys[mode]!, 'tcp', NEIGHBOUR, 7000);

  it('nat: only the published host port answers; outbound is masqueraded', () => {
    const ip = ips.nat!;
    expect.soft(probe(neighbour.path, 'tcp', HOST, 8080), 'published host port').toBe('tcp:80:nat');
    expect.soft(probe(neighbour.path, 'tcp', ip, 80, quick), 'published container port by address').toBe('');
    expect.soft(probe(neighbour.path, 'tcp', ip, 81, quick), 'unpublished port by address').toBe('');
    expect.soft(seenFrom('nat'), 'source the neighbour sees').toBe(HOST);
  });

  it('nat-unprotected: every container port answers by address; outbound is masqueraded', () => {
    const ip = ips['nat-unprotected']!;
    expect.soft(probe(neighbour.path, 'tcp', HOST, 8081), 'published host port').toBe('tcp:80:nat-unprotected');
    expect.soft(probe(neighbour.path, 'tcp', ip, 81), 'unpublished port by address').toBe('tcp:81:nat-unprotected');
    expect.soft(seenFrom('nat-unprotected'), 'source the neighbour sees').toBe(HOST);
  });

  it('routed: the published container port and ping answer by address, nothing else; no NAT', () => {
    const ip = ips.routed!;
    expect.soft(probe(neighbour.path, 'tcp', ip, 80), 'published container port by address').toBe('tcp:80:routed');
    expect.soft(probe(neighbour.path, 'tcp', ip, 81, quick), 'unpublished port by address').toBe('');
    expect.soft(probe(neighbour.path, 'tcp', HOST, 8082, quick), 'host port: not mapped in routed mode').toBe('');
    expect.soft(ping(ip), 'ping by address').toBe(true);
    expect.soft(ping(ips.nat!), 'ping into a nat network').toBe(false);
    expect.soft(seenFrom('routed'), 'source the neighbour sees').toBe(ip);
  });

  it('isolated: refused unless internal; an internal isolated network has no gateway on the host', async () => {
    const bad = cli.run(['network', 'create', '-o', `${MODE_KEY}=isolated`, 'wg-iso-bad']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain("gateway mode 'isolated' can only be used for an internal network");
    const ok = cli.run(['network', 'create', '--internal', '--subnet', '10.74.0.0/24', '-o', `${MODE_KEY}=isolated`,
      '-o', 'com.docker.network.bridge.name=wgiso', 'wg-iso']);
    expect(ok.code, ok.err).toBe(0);
    const net = (await d.api('GET', '/v1.50/networks/wg-iso')).body;
    expect(net.IPAM.Config).toEqual([{ Subnet: '10.74.0.0/24' }]);
    expect(d.host.sh('ip -4 -o addr show dev wgiso')).toBe('');
    const run = cli.run(['run', '-d', '--name', 'wg-iso1', '--network', 'wg-iso', 'busybox', 'sleep', '100000']);
    expect(run.code, run.err).toBe(0);
    expect(await containerIp(d, 'wg-iso1', 'wg-iso')).toMatch(/^10\.74\.0\./);
  });

  it('refuses an unknown mode in dockerd words, and nothing is created', () => {
    const r = cli.run(['network', 'create', '-o', `${MODE_KEY}=bogus`, 'wg-bogus']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`failed to parse ${MODE_KEY} value: bogus (unknown gateway mode bogus)`);
    expect(cli.run(['network', 'inspect', 'wg-bogus']).code).not.toBe(0);
  });
});

