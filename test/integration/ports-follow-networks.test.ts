/**
 * Published ports of a running container follow its networks, as dockerd's do
 * (TestPortBindingOnSandbox): a container whose only network is internal serves nothing and
 * `docker port` says so; connecting a normal network serves the ports there, disconnecting
 * it withdraws them (no rule, no host socket left), connecting again serves them again; and
 * a container on two normal networks keeps its ports, on the same host port, through the
 * one that remains when the publishing network goes; a connect that cannot serve them fails
 * whole. Once per firewall backend, through
 * the docker CLI, with traffic from a neighbour namespace and from the daemon's own.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../helpers/daemon.js';
import { DockerCli, HAVE_DOCKER } from '../helpers/docker-cli.js';
import { dockerLab, type DockerLab } from '../helpers/docker-lab.js';
import type { LabNs } from '../helpers/lab.js';
import { probe, startServer } from '../helpers/probe.js';

const HOST = '10.254.15.1';

describe.skipIf(!HAVE_DOCKER).each(['nftables', 'iptables'] as const)('ports follow the networks of a running container (%s)', (backend) => {
  let lab: DockerLab;
  let d: TestDaemon;
  let docker: DockerCli;
  let outside: LabNs;
  let servers: ChildProcess[];

  beforeAll(async () => {
    lab = await dockerLab(backend, { prefix: 'wp15', hostIf: 'wp15', host: HOST });
    ({ d, docker, outside, servers } = lab);
  });

  afterAll(() => lab?.destroy());

  const ok = (args: string[]): string => lab.ok(args);
  const sandbox = (name: string): string => lab.sandbox(name);
  /** Firewall rules and host sockets that name the port, in the daemon's namespace. */
  const traces = (port: number): string => d.host.sh(
    `{ nft list ruleset 2>/dev/null; iptables-save 2>/dev/null; ip6tables-save 2>/dev/null; } | grep -w ${port} || true
     ss -Hltnu 'sport = :${port}'`,
  ).trim();
  const served = (port: number, answer: string) => {
    expect(probe(outside.path, 'tcp', HOST, port)).toBe(answer);
    expect(probe(d.host.path, 'tcp', '127.0.0.1', port)).toBe(answer);
  };

  it('an internal network serves nothing; connecting a normal one serves, disconnecting withdraws (TestPortBindingOnSandbox)', async () => {
    ok(['network', 'create', '--internal', '--subnet', '10.68.0.0/24', 'wp15-int']);
    ok(['network', 'create', '--subnet', '10.69.0.0/24', 'wp15-norm']);
    ok(['run', '-d', '--name', 'wp15-c', '--network', 'wp15-int', '-p', '8180:80', 'busybox', 'sleep', '100000']);
    servers.push(await startServer(sandbox('wp15-c'), 'c', ['tcp:80']));
    expect(ok(['port', 'wp15-c'])).toBe('');
    served(8180, '');
    expect(traces(8180)).toBe('');

    ok(['network', 'connect', 'wp15-norm', 'wp15-c']);
    expect(ok(['port', 'wp15-c', '80'])).toBe('0.0.0.0:8180\n[::]:8180');
    served(8180, 'tcp:80:c');

    ok(['network', 'disconnect', 'wp15-norm', 'wp15-c']);
    expect(ok(['port', 'wp15-c'])).toBe('');
    served(8180, '');
    expect(traces(8180)).toBe('');

    ok(['network', 'connect', 'wp15-norm', 'wp15-c']);
    expect(ok(['port', 'wp15-c', '80'])).toBe('0.0.0.0:8180\n[::]:8180');
    served(8180, 'tcp:80:c');
  });

  it('on two normal networks, the ports move to the remaining one on the same host port when the publishing one goes', async () => {
    ok(['network', 'create', '--subnet', '10.70.0.0/24', 'wp15-a']);
    ok(['network', 'create', '--subnet', '10.71.0.0/24', 'wp15-b']);
    ok(['create', '--name', 'wp15-two', '--network', 'wp15-a', '-p', '80', '-p', '8181:81', 'busybox', 'sleep', '100000']);
    ok(['network', 'connect', 'wp15-b', 'wp15-two']);
    ok(['start', 'wp15-two']);
    servers.push(await startServer(sandbox('wp15-two'), 'two', ['tcp:80', 'tcp:81']));
    const random = Number(ok(['port', 'wp15-two', '80']).split('\n')[0]!.split(':').pop());
    served(random, 'tcp:80:two');
    served(8181, 'tcp:81:two');
    const addrB = ok(['inspect', '-f', '{{(index .NetworkSettings.Networks "wp15-b").IPAddress}}', 'wp15-two']);

    ok(['network', 'disconnect', 'wp15-a', 'wp15-two']);
    expect(ok(['port', 'wp15-two', '80'])).toBe(`0.0.0.0:${random}\n[::]:${random}`);
    expect(ok(['port', 'wp15-two', '81'])).toBe('0.0.0.0:8181\n[::]:8181');
    served(random, 'tcp:80:two');
    served(8181, 'tcp:81:two');
    expect(traces(8181)).toContain(addrB);
    expect(traces(8181)).not.toContain('10.70.0.');
  });

  it('a connect whose network cannot serve the ports (host port taken) fails whole and changes nothing', async () => {
    ok(['network', 'create', '--internal', '--subnet', '10.72.0.0/24', 'wp15-int2']);
    ok(['run', '-d', '--name', 'wp15-own', '--network', 'wp15-norm', '-p', '8182:80', 'busybox', 'sleep', '100000']);
    servers.push(await startServer(sandbox('wp15-own'), 'own', ['tcp:80']));
    ok(['run', '-d', '--name', 'wp15-late', '--network', 'wp15-int2', '-p', '8182:80', 'busybox', 'sleep', '100000']);
    const r = docker.run(['network', 'connect', 'wp15-norm', 'wp15-late']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/8182.*already allocated/);
    expect(ok(['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', 'wp15-late'])).toBe('wp15-int2');
    expect(ok(['port', 'wp15-late'])).toBe('');
    served(8182, 'tcp:80:own');
  });
});
