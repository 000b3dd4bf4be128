/**
 * Name resolution as dockerd does it, driven by the docker CLI, with a stand-in upstream
 * resolver in a lab namespace (never real upstream traffic): single-label names forwarded,
 * SERVFAIL for external names asked from an internal network, and /etc/hosts lines with
 * the FQDN and the bare hostname.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, TestDaemon } from '../helpers/daemon.js';
import { DockerCli, HAVE_DOCKER } from '../helpers/docker-cli.js';
import { makeNs, type LabNs } from '../helpers/lab.js';
import { kill } from '../helpers/probe.js';
import { resolverScript } from '../helpers/stand-in-resolver.js';

const UPSTREAM = '10.254.8.2';

describe.skipIf(!HAVE_DOCKER)('embedded DNS as dockerd answers (docker CLI)', () => {
  let d: TestDaemon;
  let docker: DockerCli;
  let outside: LabNs;
  let resolver: ChildProcess;

  beforeAll(async () => {
    d = new TestDaemon('nftables', makeNs('wpdns'), ['--dns', UPSTREAM]);
    outside = makeNs('wpdnsup');
    d.host.sh(`ip link add wout type veth peer name eth0 netns ${outside.name} && ip addr add 10.254.8.1/24 dev wout && ip link set wout up`);
    outside.sh(`ip addr add ${UPSTREAM}/24 dev eth0 && ip link set eth0 up`);
    resolver = spawn('ip', ['netns', 'exec', outside.name, process.execPath, '-e', resolverScript(UPSTREAM, '192.0.2.9', ['outside.test', 'wpsingle'])],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => resolver.stdout!.on('data', (x) => String(x).includes('ready') && r()));
    await d.start();
    docker = new DockerCli(d);
  });

  afterAll(async () => {
    kill(resolver);
    docker?.cleanup();
    await d?.destroy();
    outside?.destroy();
  });

  const ok = (args: string[]): string => {
    const r = docker.run(args);
    expect(r.code, `docker ${args.join(' ')}: ${r.err}`).toBe(0);
    return r.out;
  };
  const lookup = (c: string, name: string) => docker.run(['exec', c, 'nslookup', '-type=a', name]);

  it('forwards single-label names it does not know to the upstream', () => {
    ok(['network', 'create', '--subnet', '10.62.0.0/24', 'wp-dns']);
    ok(['run', '-d', '--name', 'wp-asker', '--network', 'wp-dns', 'busybox', 'sleep', '100000']);
    const r = lookup('wp-asker', 'wpsingle');
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/Name:\s+wpsingle\nAddress:\s+192\.0\.2\.9/);
    expect(lookup('wp-asker', 'outside.test').out).toMatch(/Address:\s+192\.0\.2\.9/);
    expect(lookup('wp-asker', 'wp-nobody').out).toContain("can't find wp-nobody: NXDOMAIN");
  });

  it('answers SERVFAIL for external names asked from an internal network, its own names still', () => {
    ok(['network', 'create', '--internal', '--subnet', '10.63.0.0/24', 'wp-sealed']);
    ok(['run', '-d', '--name', 'wp-inside', '--network', 'wp-sealed', 'busybox', 'sleep', '100000']);
    ok(['run', '-d', '--name', 'wp-peer', '--network', 'wp-sealed', 'busybox', 'sleep', '100000']);
    expect(lookup('wp-inside', 'outside.test').out).toContain("can't find outside.test: SERVFAIL");
    expect(lookup('wp-inside', 'wpsingle').out).toContain("can't find wpsingle: SERVFAIL");
    const peer = ok(['inspect', '-f', '{{(index .NetworkSettings.Networks "wp-sealed").IPAddress}}', 'wp-peer']).trim();
    expect(lookup('wp-inside', 'wp-peer').out).toContain(`Address: ${peer}`);
  });

  it('/etc/hosts on a user network names the FQDN hostname and its first label', () => {
    ok(['run', '-d', '--name', 'c1', '--hostname', 'c1.invalid', '--network', 'wp-dns', '--ip', '10.62.0.50', 'busybox', 'sleep', '100000']);
    expect(ok(['exec', 'c1', 'cat', '/etc/hosts'])).toBe([
      '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'ff00::0\tip6-mcastprefix',
      'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters', '10.62.0.50\tc1.invalid c1', ''].join('\n'));
  });
});
