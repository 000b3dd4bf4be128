/**
 * The real docker CLI (28.x, /usr/local/bin/docker) driving weft: no docker engine
 * anywhere, only weft's daemon in a throwaway namespace. Checks printed output and exit
 * codes of the network commands and a minimal container flow, and that malformed
 * requests change nothing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../helpers/daemon.js';

const DOCKER = '/usr/local/bin/docker';
const HAVE_DOCKER = fs.existsSync(DOCKER);

describe.skipIf(!HAVE_DOCKER)('the docker CLI against weft', () => {
  let d: TestDaemon;
  let config: string;

  beforeAll(async () => {
    d = new TestDaemon('nftables');
    d.host.sh('ip addr add 10.254.0.1/32 dev lo');
    config = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-docker-cfg-'));
    await d.start();
  });

  afterAll(async () => {
    await d?.destroy();
    if (config) fs.rmSync(config, { recursive: true, force: true });
  });

  function docker(args: string[], input = ''): { code: number; out: string; err: string } {
    const r = spawnSync(DOCKER, args, {
      encoding: 'utf8', input, timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: config, DOCKER_HOST: `unix://${d.socket}`, DOCKER_CONFIG: config },
    });
    return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
  }

  async function networkNames(): Promise<string[]> {
    return (await d.api('GET', '/networks')).body.map((n: any) => n.Name).sort();
  }

  it('negotiates the API version and shows the server version', () => {
    const r = docker(['version', '--format', '{{.Server.APIVersion}} {{.Server.Os}}/{{.Server.Arch}}']);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim()).toMatch(/^1\.50 linux\/\w+$/);
  });

  it('network create with every flag, ls with filters and --format, inspect, rm', () => {
    let r = docker(['network', 'create', '--driver', 'bridge', '--subnet', '10.80.0.0/16', '--gateway', '10.80.0.254', '--ip-range', '10.80.5.0/24',
      '--aux-address', 'printer=10.80.0.5', '--label', 'team=blue', '-o', 'com.docker.network.bridge.name=br-blue', '--attachable', 'blue']);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim()).toMatch(/^[0-9a-f]{64}$/);
    r = docker(['network', 'create', '--ipv6', '--subnet', '10.81.0.0/24', '--subnet', 'fd00:81::/64', '--internal', '--ipam-driver', 'default', '--ipam-opt', 'x=y', 'green']);
    expect(r.code, r.err).toBe(0);

    r = docker(['network', 'ls']);
    expect(r.out.split('\n')[0]).toMatch(/^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    expect(r.out).toMatch(/\n[0-9a-f]{12}\s+blue\s+bridge\s+local\n/);
    expect(docker(['network', 'ls', '--filter', 'label=team=blue', '--format', '{{.Name}}']).out).toBe('blue\n');
    expect(docker(['network', 'ls', '--filter', 'driver=null', '--format', '{{.Name}}']).out).toBe('none\n');
    expect(docker(['network', 'ls', '--filter', 'name=gre', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']).out).toBe('green bridge local\n');
    expect(docker(['network', 'ls', '--filter', 'type=custom', '--format', '{{.Name}}']).out.split('\n').filter(Boolean).sort()).toEqual(['blue', 'green']);
    expect(docker(['network', 'ls', '--filter', 'dangling=true', '--format', '{{.Name}}']).out.split('\n').filter(Boolean).sort()).toEqual(['blue', 'green']);
    expect(docker(['network', 'ls', '-q', '--filter', 'scope=local']).out.trim().split('\n')).toHaveLength(5);

    r = docker(['network', 'inspect', 'blue']);
    expect(r.code).toBe(0);
    const blue = JSON.parse(r.out)[0];
    expect(blue.IPAM.Config).toEqual([{ Subnet: '10.80.0.0/16', IPRange: '10.80.5.0/24', Gateway: '10.80.0.254', AuxiliaryAddresses: { printer: '10.80.0.5' } }]);
    expect(blue.Labels).toEqual({ team: 'blue' });
    expect(blue.Attachable).toBe(true);
    expect(blue.Options['com.docker.network.bridge.name']).toBe('br-blue');
    const green = JSON.parse(docker(['network', 'inspect', '-v', 'green']).out)[0];
    expect(green.Internal).toBe(true);
    expect(green.EnableIPv6).toBe(true);
    expect(green.IPAM.Options).toEqual({ x: 'y' });
    expect(docker(['network', 'inspect', '--format', '{{.Name}} {{.Driver}}', 'blue', 'green']).out).toBe('blue bridge\ngreen bridge\n');
    expect(d.host.sh('ip -br link show br-blue')).toContain('br-blue');
  });

  it('runs a detached web server with a published port, execs into it, shows logs and ports', async () => {
    let r = docker(['run', '-d', '--name', 'web', '-p', '8080:80', '--network', 'blue', '--network-alias', 'www', '-e', 'GREETING=hi there', '-w', '/etc', '--hostname', 'webhost',
      'busybox', 'sh', '-c', 'echo started; exec httpd -f -p 80 -h /etc']);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim()).toMatch(/^[0-9a-f]{64}$/);
    const fetched = spawnSync('ip', ['netns', 'exec', d.host.name, 'curl', '-s', '-m', '5', 'http://10.254.0.1:8080/hostname'], { encoding: 'utf8' });
    expect(fetched.stdout.trim()).toBe('webhost');
    expect(docker(['exec', 'web', 'sh', '-c', 'echo "$GREETING" from $(pwd)']).out).toBe('hi there from /etc\n');
    expect(docker(['exec', '-i', 'web', 'cat'], 'piped\n').out).toBe('piped\n');
    expect(docker(['exec', '-d', 'web', 'sleep', '2']).code).toBe(0);
    expect(docker(['exec', 'web', 'sh', '-c', 'exit 4']).code).toBe(4);
    await new Promise((res) => setTimeout(res, 200));
    expect(docker(['logs', 'web']).out).toBe('started\n');
    expect(docker(['logs', '--tail', '1', 'web']).out).toBe('started\n');
    expect(docker(['port', 'web']).out).toBe('80/tcp -> 0.0.0.0:8080\n');
    r = docker(['ps', '--filter', 'name=web', '--format', '{{.Names}} {{.Image}} {{.Ports}}']);
    expect(r.out).toBe('web busybox 0.0.0.0:8080->80/tcp\n');
    const info = JSON.parse(docker(['inspect', 'web']).out)[0];
    expect(info.NetworkSettings.Networks.blue.Aliases).toContain('www');
    expect(info.Config.Hostname).toBe('webhost');
  });

  it('runs in the foreground: output, exit codes, --rm', () => {
    let r = docker(['run', '--rm', 'busybox', 'echo', 'hi']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('hi\n');
    r = docker(['run', '--rm', 'busybox', 'sh', '-c', 'exit 3']);
    expect(r.code).toBe(3);
    r = docker(['run', '--name', 'kept', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
    expect(r.out).toBe('out\n');
    expect(r.err).toBe('err\n');
    expect(docker(['ps', '-a', '--filter', 'status=exited', '--format', '{{.Names}}']).out).toBe('kept\n');
    expect(docker(['wait', 'kept']).out).toBe('0\n');
    expect(docker(['rm', 'kept']).out).toBe('kept\n');
  });

  it('create, start, stop, restart, kill, rm -f, and a missing image', () => {
    expect(docker(['create', '--name', 'c1', '--network', 'blue', 'busybox', 'sleep', '1000']).code).toBe(0);
    expect(docker(['ps', '-a', '--filter', 'status=created', '--format', '{{.Names}}']).out).toBe('c1\n');
    expect(docker(['start', 'c1']).out).toBe('c1\n');
    expect(docker(['stop', '-t', '1', 'c1']).out).toBe('c1\n');
    expect(docker(['inspect', '--format', '{{.State.ExitCode}}', 'c1']).out).toBe('137\n');
    expect(docker(['restart', '-t', '1', 'c1']).out).toBe('c1\n');
    expect(docker(['inspect', '--format', '{{.State.Running}}', 'c1']).out).toBe('true\n');
    expect(docker(['kill', 'c1']).out).toBe('c1\n');
    expect(docker(['rm', '-f', 'c1']).out).toBe('c1\n');
    const r = docker(['run', 'nosuchimage', 'true']);
    expect(r.code).toBe(125);
    expect(r.err).toMatch(/weft does not pull images/);
    const rm = docker(['rm', 'nosuch']);
    expect(rm.code).toBe(1);
    expect(rm.err).toContain('Error response from daemon: No such container: nosuch');
  });

  it('connect with --ip and --alias resolves by name; disconnect -f; errors as dockerd words them', async () => {
    expect(docker(['run', '-d', '--name', 'peer', '--network', 'blue', 'busybox', 'sleep', '1000']).code).toBe(0);
    let r = docker(['network', 'create', '--subnet', '10.82.0.0/24', 'red']);
    expect(r.code, r.err).toBe(0);
    r = docker(['network', 'connect', '--ip', '10.82.0.50', '--alias', 'db', 'red', 'web']);
    expect(r.code, r.err).toBe(0);
    expect(docker(['run', '-d', '--name', 'asker', '--network', 'red', 'busybox', 'sleep', '1000']).code).toBe(0);
    r = docker(['exec', 'asker', 'nslookup', '-type=a', 'db']);
    expect(r.out).toContain('Address: 10.82.0.50');
    r = docker(['exec', 'peer', 'nslookup', '-type=a', 'www']);
    expect(r.out).toContain('Address: 10.80.5.');
    r = docker(['network', 'disconnect', '-f', 'red', 'web']);
    expect(r.code, r.err).toBe(0);
    r = docker(['network', 'rm', 'blue']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Error response from daemon: error while removing network: network blue has active endpoints/);
    r = docker(['network', 'rm', 'bridge']);
    expect(r.err).toContain('Error response from daemon: bridge is a pre-defined network and cannot be removed');
    r = docker(['network', 'create', '--subnet', '10.80.1.0/24', 'overlapping']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Error response from daemon: .*overlaps/);
    r = docker(['network', 'create', 'red']);
    expect(r.err).toContain('Error response from daemon: network with name red already exists');
    r = docker(['network', 'create', '--subnet', 'nonsense', 'bad']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Error response from daemon: invalid subnet nonsense/);
    expect(docker(['rm', '-f', 'asker']).code).toBe(0);
    r = docker(['network', 'rm', 'nosuch', 'red']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('red\n');
    expect(r.err).toContain('Error response from daemon: network nosuch not found');
  });

  it('malformed requests get 400 with a message and change nothing', async () => {
    const before = await networkNames();
    const cases: [string, string, string | undefined, RegExp][] = [
      ['POST', '/v1.50/networks/create', '{"Name": "x",', /JSON|parse|invalid/i],
      ['POST', '/v1.50/networks/create', JSON.stringify({ Name: 5 }), /Name/],
      ['POST', '/v1.50/networks/create', JSON.stringify({ Driver: 'bridge' }), /name/i],
      ['POST', '/v1.50/networks/create', JSON.stringify({ Name: 'y', IPAM: { Config: [{ Subnet: 'nonsense' }] } }), /subnet/i],
      ['POST', '/v1.50/networks/create', JSON.stringify({ Name: 'z', Labels: 'notamap' }), /Labels/],
      ['POST', '/v1.50/containers/create', JSON.stringify({ Image: 'busybox', Cmd: 'notalist' }), /Cmd/],
    ];
    for (const [method, p, body, msg] of cases) {
      const r = await d.api(method, p, undefined, body);
      expect(r.status, `${p} ${body}`).toBe(400);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.body.message).toMatch(msg);
    }
    expect(await networkNames()).toEqual(before);
  });

  it('prune removes unused networks matching the filters', () => {
    expect(docker(['network', 'create', '--label', 'tmp=1', 'scratch']).code).toBe(0);
    const r = docker(['network', 'prune', '-f', '--filter', 'label=tmp=1']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('scratch');
    expect(r.out).not.toContain('green');
    expect(docker(['network', 'ls', '--format', '{{.Name}}']).out).not.toContain('scratch');
  });
});
