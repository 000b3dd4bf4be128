/**
 * Bridge behaviour translated from moby's integration tests, driven by the docker CLI, once
 * per firewall backend: a container reaching its own published port through the host's
 * address (TestAccessPublishedPortFromCtr), the FORWARD policy dockerd sets when it turns
 * forwarding on itself, no IPv6 on an IPv4-only network's interface, and the network
 * options for the masquerade source and the default host IP of published ports.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../helpers/daemon.js';
import { DockerCli, HAVE_DOCKER } from '../helpers/docker-cli.js';
import { makeNs, type LabNs } from '../helpers/lab.js';
import { kill, probe, startServer } from '../helpers/probe.js';

const HOST = '10.254.7.1';

describe.skipIf(!HAVE_DOCKER).each(['nftables', 'iptables'] as const)('moby bridge scenarios (%s backend)', (backend) => {
  let d: TestDaemon;
  let docker: DockerCli;
  let outside: LabNs;
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    d = new TestDaemon(backend, makeNs('wpbr'));
    outside = makeNs('wpout');
    d.host.sh(`ip link add wout type veth peer name eth0 netns ${outside.name} && ip link set wout up && ip addr add ${HOST}/24 dev wout`);
    outside.sh('ip addr add 10.254.7.2/24 dev eth0 && ip link set eth0 up');
    await d.start();
    docker = new DockerCli(d);
  });

  afterAll(async () => {
    for (const s of servers) kill(s);
    docker?.cleanup();
    await d?.destroy();
    outside?.destroy();
  });

  const ok = (args: string[]): string => {
    const r = docker.run(args);
    expect(r.code, `docker ${args.join(' ')}: ${r.err}`).toBe(0);
    return r.out.trim();
  };
  const sandbox = (name: string): string => ok(['inspect', '-f', '{{.NetworkSettings.SandboxKey}}', name]);

  it('a container reaches its own published port through the host address (TestAccessPublishedPortFromCtr)', async () => {
    ok(['network', 'create', '--subnet', '10.60.0.0/24', 'wp-hair']);
    ok(['run', '-d', '--name', 'wp-self', '--network', 'wp-hair', '-p', '8090:80', 'busybox', 'sleep', '100000']);
    const ns = sandbox('wp-self');
    servers.push(await startServer(ns, 'self', ['tcp:80']));
    expect(probe(ns, 'tcp', HOST, 8090)).toBe('tcp:80:self');
    expect(probe(ns, 'tcp', '10.60.0.1', 8090)).toBe('tcp:80:self');
    expect(probe(outside.path, 'tcp', HOST, 8090)).toBe('tcp:80:self');
  });

  it('turning forwarding on sets the FORWARD policy to DROP (iptables), as dockerd does', () => {
    expect(d.host.sh('cat /proc/sys/net/ipv4/ip_forward').trim()).toBe('1');
    const policy = d.host.sh('iptables -S FORWARD | head -1').trim();
    expect(policy).toBe(backend === 'iptables' ? '-P FORWARD DROP' : '-P FORWARD ACCEPT');
  });

  it('an interface on an IPv4-only network has IPv6 disabled, one on a dual-stack network keeps it', () => {
    ok(['network', 'create', '--ipv6', '--subnet', '10.61.0.0/24', '--subnet', 'fd00:61::/64', 'wp-dual']);
    ok(['run', '-d', '--name', 'wp-v4', '--network', 'wp-hair', 'busybox', 'sleep', '100000']);
    ok(['network', 'connect', 'wp-dual', 'wp-v4']);
    const ns = sandbox('wp-v4');
    const nsenter = (cmd: string) => d.host.sh(`nsenter --net=${ns} sh -c '${cmd}'`).trim();
    expect(nsenter('cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6')).toBe('1');
    expect(nsenter('ip -6 addr show dev eth0')).toBe('');
    expect(nsenter('cat /proc/sys/net/ipv6/conf/eth1/disable_ipv6')).toBe('0');
    expect(nsenter('ip -6 addr show dev eth1')).toMatch(/inet6 fe80::.*scope link/);
    expect(nsenter('ip -6 addr show dev eth1')).toMatch(/inet6 fd00:61::/);
  });
});
