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
import { HAVE_DOCKER } from '../helpers/docker-cli.js';
import { dockerLab, type DockerLab } from '../helpers/docker-lab.js';
import type { LabNs } from '../helpers/lab.js';
import { probe, startServer } from '../helpers/probe.js';

const HOST = '10.254.7.1';

describe.skipIf(!HAVE_DOCKER).each(['nftables', 'iptables'] as const)('moby bridge scenarios (%s backend)', (backend) => {
  let lab: DockerLab;
  let d: TestDaemon;
  let outside: LabNs;
  let servers: ChildProcess[];

  beforeAll(async () => {
    lab = await dockerLab(backend, { prefix: 'wpbr', hostIf: 'wout', host: HOST });
    ({ d, outside, servers } = lab);
  });

  afterAll(() => lab?.destroy());

  const ok = (args: string[]): string => lab.ok(args);
  const sandbox = (name: string): string => lab.sandbox(name);

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

  it('docker port lists [::] beside 0.0.0.0, and [::1] on an IPv4-only network is served (through the proxy)', async () => {
    ok(['network', 'create', '--subnet', '10.64.0.0/24', 'wp-v4only']);
    ok(['run', '-d', '--name', 'wp-six', '--network', 'wp-v4only', '-p', '8091:80', '-p', '[::1]::81', 'busybox', 'sleep', '100000']);
    servers.push(await startServer(sandbox('wp-six'), 'six', ['tcp:80', 'tcp:81']));
    expect(ok(['port', 'wp-six', '80'])).toBe('0.0.0.0:8091\n[::]:8091');
    const loop6 = ok(['port', 'wp-six', '81']);
    expect(loop6).toMatch(/^\[::1\]:\d+$/);
    expect(probe(d.host.path, 'tcp', '::1', Number(loop6.split(':').pop()))).toBe('tcp:81:six');
    expect(probe(d.host.path, 'tcp', '::1', 8091)).toBe('tcp:80:six');
  });

  it('ports of a container whose first network is internal are served through its other network', async () => {
    ok(['network', 'create', '--internal', '--subnet', '10.65.0.0/24', 'wp-first-int']);
    ok(['network', 'create', '--subnet', '10.66.0.0/24', 'wp-second']);
    ok(['create', '--name', 'wp-sb', '--network', 'wp-first-int', '-p', '8092:80', 'busybox', 'sleep', '100000']);
    ok(['network', 'connect', 'wp-second', 'wp-sb']);
    ok(['start', 'wp-sb']);
    servers.push(await startServer(sandbox('wp-sb'), 'sb', ['tcp:80']));
    expect(ok(['port', 'wp-sb', '80'])).toBe('0.0.0.0:8092\n[::]:8092');
    expect(probe(outside.path, 'tcp', HOST, 8092)).toBe('tcp:80:sb');
    expect(probe(d.host.path, 'tcp', '127.0.0.1', 8092)).toBe('tcp:80:sb');
  });

  it('com.docker.network.bridge.host_binding_ipv4 is the default host address of the network\'s published ports', async () => {
    d.host.sh('ip addr add 10.254.7.3/24 dev wout');
    ok(['network', 'create', '--subnet', '10.67.0.0/24', '-o', 'com.docker.network.bridge.host_binding_ipv4=10.254.7.3', 'wp-bind']);
    ok(['run', '-d', '--name', 'wp-bound', '--network', 'wp-bind', '-p', '8093:80', '-p', '10.254.7.1:8094:80', 'busybox', 'sleep', '100000']);
    servers.push(await startServer(sandbox('wp-bound'), 'bound', ['tcp:80']));
    expect(ok(['port', 'wp-bound', '80']).split('\n').sort()).toEqual(['10.254.7.1:8094', '10.254.7.3:8093']);
    expect(probe(outside.path, 'tcp', '10.254.7.3', 8093)).toBe('tcp:80:bound');
    expect(probe(outside.path, 'tcp', HOST, 8093)).toBe('');
    expect(probe(outside.path, 'tcp', HOST, 8094)).toBe('tcp:80:bound');
  });
});
