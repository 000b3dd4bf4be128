/**
 * IPv6 on the default bridge from dockerd's --ipv6 / --fixed-cidr-v6, and the SNAT source
 * options com.docker.network.host_ipv6 / host_ipv4 with the address a neighbour's listener
 * sees, through the docker CLI against a real kernel, once per firewall backend; random host
 * ports from the daemon namespace's ip_local_port_range, and a host port range from 0 refused.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerIp, inNs } from '../helpers/containers.js';
import { TestDaemon } from '../helpers/daemon.js';
import { DockerCli } from '../helpers/docker-cli.js';
import { makeNs, type LabNs } from '../helpers/lab.js';
import { startSourceEcho } from '../helpers/neighbour.js';
import { kill, probe } from '../helpers/probe.js';

const HOST6 = 'fd00:7c::1';
const SNAT6 = 'fd00:7c::5';
const NEIGHBOUR6 = 'fd00:7c::2';
const SNAT4 = '10.254.8.5';
const NEIGHBOUR4 = '10.254.8.2';

describe.each(['nftables', 'iptables'] as const)('--fixed-cidr-v6 and host_ipv6 (%s backend)', (backend) => {
  let d: TestDaemon;
  let cli: DockerCli;
  let neighbour: LabNs;
  let echo: ChildProcess | undefined;
  const docker = (args: string[]) => {
    const r = cli.run(args);
    expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
    return r.out.trim();
  };
  const sandbox = async (name: string) => (await d.api('GET', `/v1.50/containers/${name}/json`)).body.NetworkSettings.SandboxKey as string;

  beforeAll(async () => {
    d = new TestDaemon(backend, makeNs('v6do'), ['--ipv6', '--fixed-cidr-v6', 'fd00:7b::/64']);
    neighbour = makeNs('v6donb');
    // SNAT6 deprecated (preferred_lft 0): masquerade never picks it as source, SNAT to it still works.
    d.host.sh(`ip link add v6donb type veth peer name eth0 netns ${neighbour.name} && ip link set v6donb up
      ip addr add 10.254.8.1/24 dev v6donb && ip addr add ${SNAT4}/24 dev v6donb
      ip -6 addr add ${HOST6}/64 dev v6donb nodad && ip -6 addr add ${SNAT6}/64 dev v6donb nodad preferred_lft 0`);
    neighbour.sh(`ip addr add ${NEIGHBOUR4}/24 dev eth0 && ip -6 addr add ${NEIGHBOUR6}/64 dev eth0 nodad && ip link set eth0 up`);
    d.host.sh('echo "41000 41099" > /proc/sys/net/ipv4/ip_local_port_range');
    await d.start();
    cli = new DockerCli(d);
    echo = await startSourceEcho(neighbour.path);
  });

  afterAll(async () => {
    if (process.env.WEFT_TEST_LOG) console.log(d?.log.slice(-5000));
    kill(echo);
    cli?.cleanup();
    await d?.destroy();
    neighbour?.destroy();
  });

  it('--ipv6 --fixed-cidr-v6: the default bridge is dual stack, its containers reach out over IPv6 (masqueraded)', async () => {
    expect(docker(['network', 'inspect', 'bridge', '--format', '{{.EnableIPv6}}'])).toBe('true');
    const ipam = JSON.parse(docker(['network', 'inspect', 'bridge', '--format', '{{json .IPAM.Config}}']));
    expect(ipam).toContainEqual({ Subnet: 'fd00:7b::/64', Gateway: 'fd00:7b::1' });
    expect(d.host.sh('ip -o -6 addr show weft0')).toContain('inet6 fd00:7b::1/64');
    docker(['run', '-d', '--name', 'v6do-c1', 'busybox', 'sleep', '100000']);
    const v6 = docker(['inspect', 'v6do-c1', '--format', '{{.NetworkSettings.Networks.bridge.GlobalIPv6Address}}']);
    expect(v6).toMatch(/^fd00:7b::/);
    expect(inNs(d, 'v6do-c1', 'ip -o -6 addr show eth0').out).toContain(v6);
    expect(probe(await sandbox('v6do-c1'), 'tcp', NEIGHBOUR6, 7000)).toBe(HOST6);
    expect(await containerIp(d, 'v6do-c1', 'bridge')).toMatch(/^\d+\./);
  });

  it('com.docker.network.host_ipv6 (and host_ipv4): outgoing traffic of each family leaves with that source', async () => {
    docker(['network', 'create', '--ipv6', '--subnet', '10.126.0.0/24', '--subnet', 'fd00:7d::/64',
      '-o', `com.docker.network.host_ipv6=${SNAT6}`, '-o', `com.docker.network.host_ipv4=${SNAT4}`, 'v6do-snat']);
    docker(['run', '-d', '--name', 'v6do-s', '--network', 'v6do-snat', 'busybox', 'sleep', '100000']);
    const ns = await sandbox('v6do-s');
    expect(probe(ns, 'tcp', NEIGHBOUR6, 7000)).toBe(SNAT6);
    expect(probe(ns, 'tcp', NEIGHBOUR4, 7000)).toBe(SNAT4);
    const rules = backend === 'nftables' ? d.host.sh('nft list table inet weft') : d.host.sh('ip6tables-save -t nat');
    expect(rules).toContain(backend === 'nftables' ? `snat ip6 to ${SNAT6}` : `-j SNAT --to-source ${SNAT6}`);
  });

  it('bad host_ipv4 / host_ipv6 values are refused in dockerd\'s words, and nothing is created', async () => {
    for (const [key, value] of [['host_ipv6', 'fd00::zz'], ['host_ipv4', 'bogus']]) {
      const bad = cli.run(['network', 'create', '--ipv6', '-o', `com.docker.network.${key}=${value}`, 'v6do-bad']);
      expect(bad.code).not.toBe(0);
      expect(bad.err).toContain(`failed to parse com.docker.network.${key} value: ${value} (nil ip)`);
    }
    expect(cli.run(['network', 'inspect', 'v6do-bad']).code).not.toBe(0);
  });

  it('random host ports come from the daemon namespace\'s ip_local_port_range; -p 0-5:80 is refused as dockerd', async () => {
    docker(['run', '-d', '--name', 'v6do-r', '-p', '80', '-p', '127.0.0.1::81/udp', 'busybox', 'sleep', '100000']);
    for (const p of ['80', '81/udp']) {
      const port = Number(docker(['port', 'v6do-r', p]).split('\n')[0]!.split(':').pop());
      expect(port).toBeGreaterThanOrEqual(41000);
      expect(port).toBeLessThanOrEqual(41099);
    }
    const bad = cli.run(['run', '-d', '--name', 'v6do-z', '-p', '0-5:80', 'busybox', 'sleep', '100000']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('invalid port range: 0-5');
    expect(cli.run(['inspect', 'v6do-z']).code).not.toBe(0);
  });
});

describe.each(['nftables', 'iptables'] as const)('--ipv6 without --fixed-cidr-v6 (%s backend)', (backend) => {
  let d: TestDaemon;
  let cli: DockerCli;
  const docker = (args: string[]) => {
    const r = cli.run(args);
    expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
    return r.out.trim();
  };
  const v6Config = (network: string) => (JSON.parse(docker(['network', 'inspect', network, '--format', '{{json .IPAM.Config}}'])) as
    { Subnet: string; Gateway?: string }[]).find((c) => c.Subnet.includes(':'));

  beforeAll(async () => {
    d = new TestDaemon(backend, makeNs('v6auto'), ['--ipv6']);
    await d.start();
    cli = new DockerCli(d);
  });

  afterAll(async () => {
    cli?.cleanup();
    await d?.destroy();
  });

  it('the default bridge gets a ULA /64 from the pools; two containers on it talk over IPv6', async () => {
    expect(docker(['network', 'inspect', 'bridge', '--format', '{{.EnableIPv6}}'])).toBe('true');
    const v6 = v6Config('bridge');
    expect(v6?.Subnet).toMatch(/^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:(?:[0-9a-f]{1,4}:)?:\/64$/);
    expect(v6?.Gateway).toBe(v6!.Subnet.replace('::/64', '::1'));
    expect(d.host.sh('ip -o -6 addr show weft0')).toContain(`inet6 ${v6!.Gateway}/64`);
    docker(['run', '-d', '--name', 'v6auto-a', 'busybox', 'sh', '-c', 'while true; do echo from-a | nc -l -p 80; done']);
    docker(['run', '-d', '--name', 'v6auto-b', 'busybox', 'sleep', '100000']);
    const a6 = docker(['inspect', 'v6auto-a', '--format', '{{.NetworkSettings.Networks.bridge.GlobalIPv6Address}}']);
    expect(a6.startsWith(v6!.Subnet.replace('::/64', ':'))).toBe(true);
    docker(['exec', 'v6auto-b', 'ping', '-6', '-c', '1', '-W', '2', a6]);
    expect(docker(['exec', 'v6auto-b', 'timeout', '5', 'nc', a6, '80'])).toBe('from-a');
  });

  it('network create --ipv6 without a subnet picks another /64 of the same pools; a restart keeps the bridge\'s', async () => {
    const bridge6 = v6Config('bridge')!.Subnet;
    docker(['network', 'create', '--ipv6', 'v6auto-net']);
    const net6 = v6Config('v6auto-net')!.Subnet;
    expect(net6).not.toBe(bridge6);
    expect(net6.split(':').slice(0, 3)).toEqual(bridge6.split(':').slice(0, 3));
    docker(['rm', '-f', 'v6auto-a', 'v6auto-b']);
    await d.stop();
    await d.start();
    expect(v6Config('bridge')!.Subnet).toBe(bridge6);
  });
});
