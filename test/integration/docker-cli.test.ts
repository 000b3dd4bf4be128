/**
 * The real docker CLI (28.x, /usr/local/bin/docker) driving weft: no docker engine
 * anywhere, only weft's daemon in a throwaway namespace. Checks printed output and exit
 * codes of the network commands and a minimal container flow, errors worded as dockerd
 * words them, and that malformed requests change nothing.
 *
 * The docker binary runs with DOCKER_HOST=unix://<test socket> and DOCKER_CONFIG/HOME in a
 * temp dir, so it never reads a user's config or contexts. Traffic stays inside the
 * test's namespaces: published ports are fetched from inside the daemon's namespace.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../helpers/daemon.js';

const DOCKER = '/usr/local/bin/docker';
const HAVE_DOCKER = fs.existsSync(DOCKER);

interface Run { code: number; out: string; err: string }

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

  const env = (extra: NodeJS.ProcessEnv = {}) =>
    ({ PATH: process.env.PATH, HOME: config, DOCKER_HOST: `unix://${d.socket}`, DOCKER_CONFIG: config, ...extra });

  function docker(args: string[], input = '', extraEnv: NodeJS.ProcessEnv = {}): Run {
    const r = spawnSync(DOCKER, args, { encoding: 'utf8', input, timeout: 30_000, env: env(extraEnv) });
    return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
  }

  /** docker in the background (logs -f): resolves when it exits. */
  function dockerAsync(args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      const p = spawn(DOCKER, args, { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (b) => { out += b; });
      p.stderr.on('data', (b) => { err += b; });
      const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
      p.on('close', (code) => { clearTimeout(t); resolve({ code: code ?? -1, out, err }); });
    });
  }

  const lines = (s: string) => s.split('\n').filter(Boolean).sort();

  async function networkNames(): Promise<string[]> {
    return (await d.api('GET', '/networks')).body.map((n: any) => n.Name).sort();
  }
  async function containerNames(): Promise<string[]> {
    return (await d.api('GET', '/containers/json?all=1')).body.map((c: any) => c.Names[0]).sort();
  }

  /** HTTP GET from inside the daemon's host namespace (never off-machine). */
  function fetchInHost(url: string): { code: number; body: string } {
    const r = spawnSync('ip', ['netns', 'exec', d.host.name, 'curl', '-s', '-m', '5', '-w', '\n%{http_code}', url], { encoding: 'utf8' });
    const out = r.stdout ?? '';
    const i = out.lastIndexOf('\n');
    return { code: Number(out.slice(i + 1)), body: out.slice(0, i) };
  }

  it('negotiates the API version and shows the server version', () => {
    const r = docker(['version', '--format', '{{.Server.APIVersion}} {{.Server.Os}}/{{.Server.Arch}}']);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim()).toMatch(/^1\.52 linux\/\w+$/);
    // An older client (pinned API 1.41: /v1.41 paths, CheckDuplicate in network create).
    const old = docker(['network', 'create', 'old-api'], '', { DOCKER_API_VERSION: '1.41' });
    expect(old.code, old.err).toBe(0);
    expect(docker(['network', 'rm', 'old-api'], '', { DOCKER_API_VERSION: '1.41' }).out).toBe('old-api\n');
    expect(docker(['info', '--format', '{{.Swarm.LocalNodeState}}']).out).toBe('inactive\n');
  });

  it('network create with every flag, ls with filters and --format, inspect, rm', () => {
    let r = docker(['network', 'create', '--driver', 'bridge', '--subnet', '10.80.0.0/16', '--gateway', '10.80.0.254', '--ip-range', '10.80.5.0/24',
      '--aux-address', 'printer=10.80.0.5', '--aux-address', 'router=10.80.0.6', '--label', 'team=blue', '--label', 'flagonly',
      '-o', 'com.docker.network.bridge.name=br-blue', '-o', 'com.docker.network.driver.mtu=1400', '--attachable', 'blue']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^[0-9a-f]{64}\n$/);
    const blueId = r.out.trim();
    r = docker(['network', 'create', '--ipv6', '--subnet', '10.81.0.0/24', '--gateway', '10.81.0.1', '--subnet', 'fd00:81::/64', '--gateway', 'fd00:81::1',
      '--internal', '--ipam-driver', 'default', '--ipam-opt', 'x=y', 'green']);
    expect(r.code, r.err).toBe(0);

    r = docker(['network', 'ls']);
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    expect(r.out).toMatch(new RegExp(`\\n${blueId.slice(0, 12)}\\s+blue\\s+bridge\\s+local\\n`));
    expect(docker(['network', 'ls', '--no-trunc']).out).toContain(blueId);
    expect(docker(['network', 'ls', '--filter', 'label=team=blue', '--format', '{{.Name}}']).out).toBe('blue\n');
    expect(docker(['network', 'ls', '--filter', 'label=flagonly', '--format', '{{.Name}}']).out).toBe('blue\n');
    expect(docker(['network', 'ls', '--filter', 'driver=null', '--format', '{{.Name}}']).out).toBe('none\n');
    expect(docker(['network', 'ls', '--filter', `id=${blueId.slice(0, 10)}`, '--format', '{{.Name}}']).out).toBe('blue\n');
    expect(docker(['network', 'ls', '--filter', 'name=gre', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.IPv6}} {{.Internal}}']).out).toBe('green bridge local true true\n');
    expect(lines(docker(['network', 'ls', '--filter', 'type=custom', '--format', '{{.Name}}']).out)).toEqual(['blue', 'green']);
    expect(lines(docker(['network', 'ls', '--filter', 'type=builtin', '--format', '{{.Name}}']).out)).toEqual(['bridge', 'host', 'none']);
    expect(lines(docker(['network', 'ls', '--filter', 'dangling=true', '--format', '{{.Name}}']).out)).toEqual(['blue', 'green']);
    expect(docker(['network', 'ls', '-q', '--filter', 'scope=local']).out.trim().split('\n')).toHaveLength(5);
    expect(docker(['network', 'ls', '-q', '--filter', 'scope=swarm']).out).toBe('');
    const json = docker(['network', 'ls', '--filter', 'name=blue', '--format', 'json']).out.trim();
    expect(JSON.parse(json)).toMatchObject({ Name: 'blue', Driver: 'bridge', Scope: 'local', ID: blueId.slice(0, 12) });
    r = docker(['network', 'ls', '--filter', 'foo=bar']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error response from daemon: invalid filter \'foo\'\n');

    r = docker(['network', 'inspect', 'blue']);
    expect(r.code, r.err).toBe(0);
    const blue = JSON.parse(r.out)[0];
    expect(blue).toMatchObject({ Name: 'blue', Id: blueId, Scope: 'local', Driver: 'bridge', EnableIPv4: true, EnableIPv6: false, Internal: false, Attachable: true, Containers: {} });
    expect(blue.Created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(blue.IPAM).toEqual({ Driver: 'default', Options: {},
      Config: [{ Subnet: '10.80.0.0/16', IPRange: '10.80.5.0/24', Gateway: '10.80.0.254', AuxiliaryAddresses: { printer: '10.80.0.5', router: '10.80.0.6' } }] });
    expect(blue.Labels).toEqual({ team: 'blue', flagonly: '' });
    expect(blue.Options).toEqual({ 'com.docker.network.bridge.name': 'br-blue', 'com.docker.network.driver.mtu': '1400' });
    const green = JSON.parse(docker(['network', 'inspect', '-v', 'green']).out)[0];
    expect(green.Internal).toBe(true);
    expect(green.EnableIPv6).toBe(true);
    expect(green.IPAM.Options).toEqual({ x: 'y' });
    expect(green.IPAM.Config).toEqual([{ Subnet: '10.81.0.0/24', Gateway: '10.81.0.1' }, { Subnet: 'fd00:81::/64', Gateway: 'fd00:81::1' }]);
    expect(docker(['network', 'inspect', '--format', '{{.Name}} {{.Driver}}', 'blue', 'green']).out).toBe('blue bridge\ngreen bridge\n');
    // The kernel has what was asked for.
    expect(d.host.sh('ip -br addr show br-blue')).toContain('10.80.0.254/16');
    r = docker(['network', 'inspect', 'nosuch']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('[]\n');
    expect(r.err).toBe('Error response from daemon: network nosuch not found\n');

    // rm of several names, each printed.
    expect(docker(['network', 'create', 'r1']).code).toBe(0);
    expect(docker(['network', 'create', 'r2']).code).toBe(0);
    r = docker(['network', 'rm', 'r1', 'r2']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('r1\nr2\n');
    expect(docker(['network', 'ls', '--filter', 'name=r', '--format', '{{.Name}}']).out).not.toMatch(/^r[12]$/m);
  });

  it('network create errors as dockerd words them, nothing created', async () => {
    const before = await networkNames();
    const cases: [string[], string][] = [
      [['--subnet', 'nonsense', 'bad'], 'Error response from daemon: invalid network config:\ninvalid subnet nonsense: invalid CIDR block notation\n'],
      [['--subnet', '10.90.0.1/24', 'bad'], 'Error response from daemon: invalid network config:\ninvalid subnet 10.90.0.1/24: it should be 10.90.0.0/24\n'],
      [['blue'], 'Error response from daemon: network with name blue already exists\n'],
      [['bridge'], 'Error response from daemon: operation is not permitted on predefined bridge network\n'],
      [['-d', 'nosuchdriver', 'bad'], 'Error response from daemon: plugin "nosuchdriver" not found\n'],
    ];
    for (const [args, err] of cases) {
      const r = docker(['network', 'create', ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toBe(err);
    }
    const r = docker(['network', 'create', '--subnet', '10.80.1.0/24', 'overlapping']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error response from daemon: .*Pool overlaps with other one on this address space\n$/);
    expect(await networkNames()).toEqual(before);
  });

  it('runs a detached web server with a published port, execs into it, shows logs and ports', async () => {
    let r = docker(['run', '-d', '--name', 'web', '-p', '8080:80', '--network', 'blue', '--network-alias', 'www', '-e', 'GREETING=hi there', '-w', '/etc', '--hostname', 'webhost',
      'busybox', 'sh', '-c', 'echo started; echo warming up >&2; exec httpd -f -p 80 -h /etc']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^[0-9a-f]{64}\n$/);
    const id = r.out.trim();
    const fetched = fetchInHost('http://10.254.0.1:8080/hostname');
    expect(fetched).toEqual({ code: 200, body: 'webhost\n' });
    expect(docker(['exec', 'web', 'sh', '-c', 'echo "$GREETING" from $(pwd)']).out).toBe('hi there from /etc\n');
    r = docker(['exec', '-e', 'A=1', '-w', '/tmp', 'web', 'sh', '-c', 'echo $A $(pwd); echo oops >&2']);
    expect(r).toEqual({ code: 0, out: '1 /tmp\n', err: 'oops\n' });
    expect(docker(['exec', '-i', 'web', 'cat'], 'piped\nlines\n').out).toBe('piped\nlines\n');
    expect(docker(['exec', '-d', 'web', 'sleep', '2'])).toMatchObject({ code: 0, out: '' });
    expect(docker(['exec', 'web', 'sh', '-c', 'exit 4']).code).toBe(4);
    r = docker(['exec', 'nosuch', 'true']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error response from daemon: No such container: nosuch\n');
    await new Promise((res) => setTimeout(res, 200));
    r = docker(['logs', 'web']);
    expect(r).toEqual({ code: 0, out: 'started\n', err: 'warming up\n' });
    expect(docker(['logs', '--tail', '1', id.slice(0, 12)]).out).toBe('started\n');
    expect(docker(['port', 'web']).out).toBe('80/tcp -> 0.0.0.0:8080\n80/tcp -> [::]:8080\n');
    expect(docker(['port', 'web', '80/tcp']).out).toBe('0.0.0.0:8080\n[::]:8080\n');
    r = docker(['ps', '--filter', 'name=web', '--format', '{{.ID}} {{.Names}} {{.Image}} {{.Command}} {{.Status}} {{.Ports}} {{.Networks}}']);
    expect(r.out).toMatch(new RegExp(`^${id.slice(0, 12)} web busybox "sh -c echo started;…" Up [^\\n]+ 0\\.0\\.0\\.0:8080->80/tcp, \\[::\\]:8080->80/tcp blue\\n$`));
    const info = JSON.parse(docker(['inspect', 'web']).out)[0];
    expect(info.Id).toBe(id);
    expect(info.Name).toBe('/web');
    expect(info.State).toMatchObject({ Status: 'running', Running: true });
    expect(info.Config).toMatchObject({ Hostname: 'webhost', WorkingDir: '/etc', Tty: false });
    expect(info.Config.Env).toContain('GREETING=hi there');
    expect(info.NetworkSettings.Networks.blue.Aliases).toContain('www');
    expect(info.NetworkSettings.Networks.blue.IPAddress).toMatch(/^10\.80\.5\.\d+$/);
    expect(info.NetworkSettings.Ports['80/tcp']).toContainEqual({ HostIp: '0.0.0.0', HostPort: '8080' });
    // The network shows its container.
    const blue = JSON.parse(docker(['network', 'inspect', 'blue']).out)[0];
    expect(Object.values(blue.Containers)).toMatchObject([{ Name: 'web', IPv4Address: `${info.NetworkSettings.Networks.blue.IPAddress}/16` }]);
    expect(docker(['network', 'ls', '--filter', 'dangling=false', '--filter', 'type=custom', '--format', '{{.Name}}']).out).toBe('blue\n');

    // A second container asking for the same host port: dockerd's words, exit 125.
    r = docker(['run', '-d', '--name', 'web2', '-p', '8080:80', 'busybox', 'httpd', '-f', '-p', '80']);
    expect(r.code).toBe(125);
    expect(r.err).toContain('Error response from daemon: failed to set up container networking: driver failed programming external connectivity on endpoint web2: Bind for 0.0.0.0:8080 failed: port is already allocated');
    expect(docker(['rm', 'web2']).out).toBe('web2\n');
  });

  it('follows logs until the container exits; --tail', async () => {
    expect(docker(['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'for i in 1 2 3 4; do echo n$i; sleep 0.3; done; echo bye >&2']).code).toBe(0);
    const f = await dockerAsync(['logs', '-f', 'ticker']);
    expect(f).toEqual({ code: 0, out: 'n1\nn2\nn3\nn4\n', err: 'bye\n' });
    expect(docker(['logs', '--tail', '2', 'ticker']).out).toBe('n3\nn4\n');
    expect(docker(['logs', '--tail', '0', 'ticker']).out).toBe('');
    // Timestamps are not recorded: a clear refusal rather than lines without them.
    const t = docker(['logs', '-t', 'ticker']);
    expect(t.code).toBe(1);
    expect(t.err).toContain('weft does not record log timestamps');
    expect(docker(['rm', 'ticker']).out).toBe('ticker\n');
  });

  it('runs in the foreground: output, exit codes, --rm, start -a', async () => {
    const before = (await containerNames()).length;
    let r = docker(['run', 'busybox', 'echo', 'hi']);
    expect(r).toEqual({ code: 0, out: 'hi\n', err: '' });
    r = docker(['run', 'busybox', 'sh', '-c', 'exit 3']);
    expect(r).toEqual({ code: 3, out: '', err: '' });
    r = docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(r).toEqual({ code: 7, out: 'out\n', err: 'err\n' });
    // No command: the image's CMD (sh), which ends at once without a terminal.
    expect(docker(['run', '--rm', 'busybox']).code).toBe(0);
    r = docker(['run', '--rm', '-e', 'A=b', '-w', '/tmp', '--hostname', 'hh', 'busybox', 'sh', '-c', 'echo $A $(pwd) $(hostname)']);
    expect(r.out).toBe('b /tmp hh\n');
    r = docker(['run', '--name', 'kept', 'busybox', 'sh', '-c', 'echo again; exit 5']);
    expect(r).toEqual({ code: 5, out: 'again\n', err: '' });
    // start -a attaches to the next run of a stopped container.
    r = docker(['start', '-a', 'kept']);
    expect(r).toEqual({ code: 5, out: 'again\n', err: '' });
    expect(docker(['ps', '-a', '--filter', 'name=^/kept$', '--filter', 'status=exited', '--format', '{{.Names}} {{.Status}}']).out).toMatch(/^kept Exited \(5\) .* ago\n$/);
    expect(docker(['wait', 'kept']).out).toBe('5\n');
    expect(docker(['rm', 'kept']).out).toBe('kept\n');
    // --rm left nothing behind: only the two runs without it remain (exited).
    expect((await containerNames()).length).toBe(before + 2);
  });

  it('what weft cannot do fails at once with a clear message (images, users, volumes, restart)', async () => {
    const before = await containerNames();
    let r = docker(['run', 'nosuchimage', 'true']);
    expect(r.code).toBe(125);
    expect(r.err).toContain("Unable to find image 'nosuchimage:latest' locally");
    expect(r.err).toMatch(/docker: Error response from daemon: pull access denied for nosuchimage:latest: weft does not pull images/);
    r = docker(['run', '--pull', 'never', 'nosuchimage', 'true']);
    expect(r.code).toBe(125);
    expect(r.err).toContain('docker: Error response from daemon: No such image: nosuchimage:latest');
    r = docker(['pull', 'alpine']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error response from daemon: pull access denied for alpine:latest: weft does not pull images; ' +
      'load one (docker load -i FILE), import a root filesystem tarball (docker import), use the built-in image "busybox" ' +
      'or a root filesystem directory (weft run --rootfs DIR)\n');
    // busybox is built in: a pull of it is always up to date.
    r = docker(['pull', 'busybox']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Status: Image is up to date for busybox:latest');
    const refused: [string[], string][] = [
      [['-u', '1000'], 'weft runs container processes as root: --user is not supported'],
      [['-v', '/tmp:/x'], 'weft does not support volumes or bind mounts (-v/--mount)'],
      [['--restart', 'always'], 'weft does not restart containers: restart policy "always" is not supported'],
    ];
    for (const [args, msg] of refused) {
      r = docker(['run', '-d', ...args, 'busybox', 'true']);
      expect(r.code, args.join(' ')).toBe(125);
      expect(r.err).toContain(`docker: Error response from daemon: ${msg}\n`);
    }
    // A missing network: create answers 404, which the CLI takes for a missing image; its
    // pull of the built-in busybox succeeds, the retried create fails again, and that
    // error is what it prints.
    r = docker(['run', '--network', 'nosuchnet', 'busybox', 'true']);
    expect(r.code).toBe(125);
    expect(r.err).toContain('docker: Error response from daemon: network nosuchnet not found\n');
    expect(r.err).not.toContain('pull access denied');
    expect(await containerNames()).toEqual(before);
  });

  it('create, start, stop, restart, kill, rm -f, ps --filter, inspect, wait', () => {
    let r = docker(['create', '--name', 'c1', '--network', 'blue', '--label', 'role=worker', 'busybox', 'sleep', '1000']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^[0-9a-f]{64}\n$/);
    expect(docker(['ps', '--format', '{{.Names}}']).out).not.toContain('c1');
    expect(docker(['ps', '-a', '--filter', 'status=created', '--format', '{{.Names}} {{.Status}}']).out).toBe('c1 Created\n');
    expect(docker(['start', 'c1']).out).toBe('c1\n');
    expect(docker(['start', 'c1'])).toMatchObject({ code: 0, out: 'c1\n' }); // 304: already running
    expect(docker(['ps', '--filter', 'label=role=worker', '--format', '{{.Names}} {{.Labels}}']).out).toBe('c1 role=worker\n');
    expect(lines(docker(['ps', '--filter', 'network=blue', '--format', '{{.Names}}']).out)).toEqual(['c1', 'web']);
    expect(docker(['ps', '-q', '--no-trunc', '--filter', 'name=c1']).out).toMatch(/^[0-9a-f]{64}\n$/);
    expect(docker(['ps', '-n', '1', '--format', '{{.Names}}']).out).toBe('c1\n');
    expect(docker(['stop', '-t', '1', 'c1']).out).toBe('c1\n');
    expect(docker(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'c1']).out).toBe('exited 137\n');
    expect(docker(['stop', 'c1'])).toMatchObject({ code: 0, out: 'c1\n' }); // 304: not running
    expect(docker(['restart', '-t', '1', 'c1']).out).toBe('c1\n');
    expect(docker(['inspect', '--format', '{{.State.Running}}', 'c1']).out).toBe('true\n');
    r = docker(['rm', 'c1']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error response from daemon: cannot remove container "/c1": container is running: stop the container before removing or force remove\n');
    expect(docker(['kill', 'c1']).out).toBe('c1\n');
    expect(docker(['wait', 'c1']).out).toBe('137\n');
    r = docker(['exec', 'c1', 'true']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error response from daemon: container [0-9a-f]{64} is not running\n$/);
    expect(docker(['start', 'c1']).out).toBe('c1\n');
    expect(docker(['rm', '-f', 'c1']).out).toBe('c1\n');
    r = docker(['create', '--name', 'web', 'busybox', 'true']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error response from daemon: Conflict\. The container name "\/web" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\n$/);
    for (const cmd of [['rm', 'nosuch'], ['stop', 'nosuch'], ['wait', 'nosuch'], ['logs', 'nosuch'], ['container', 'inspect', 'nosuch']]) {
      r = docker(cmd);
      expect(r.code, cmd.join(' ')).toBe(1);
      expect(r.err, cmd.join(' ')).toContain('No such container: nosuch');
    }
    // wait blocks until the exit, and prints its code.
    expect(docker(['run', '-d', '--name', 'w', 'busybox', 'sh', '-c', 'sleep 0.5; exit 9']).code).toBe(0);
    expect(docker(['wait', 'w']).out).toBe('9\n');
    r = docker(['container', 'prune', '-f', '--filter', 'until=0s']);
    expect(r.code, r.err).toBe(0);
    expect(docker(['ps', '-a', '--format', '{{.Names}}']).out).toBe('web\n');
  });

  it('connect --ip/--ip6/--alias, names resolve, disconnect -f, errors as dockerd words them', async () => {
    expect(docker(['run', '-d', '--name', 'peer', '--network', 'blue', 'busybox', 'sleep', '1000']).code).toBe(0);
    let r = docker(['network', 'create', '--ipv6', '--subnet', '10.82.0.0/24', '--subnet', 'fd00:82::/64', 'red']);
    expect(r.code, r.err).toBe(0);
    r = docker(['network', 'connect', '--ip', '10.82.0.50', '--ip6', 'fd00:82::50', '--alias', 'db', '--alias', 'store', 'red', 'web']);
    expect(r).toEqual({ code: 0, out: '', err: '' });
    expect(docker(['exec', 'web', 'ip', '-o', 'addr']).out).toMatch(/inet 10\.82\.0\.50\/24[\s\S]*inet6 fd00:82::50\/64/);
    const ep = JSON.parse(docker(['inspect', '--format', '{{json .NetworkSettings.Networks.red}}', 'web']).out);
    expect(ep).toMatchObject({ IPAddress: '10.82.0.50', GlobalIPv6Address: 'fd00:82::50', Aliases: ['db', 'store'], IPAMConfig: { IPv4Address: '10.82.0.50', IPv6Address: 'fd00:82::50' } });
    expect(docker(['run', '-d', '--name', 'asker', '--network', 'red', 'busybox', 'sleep', '1000']).code).toBe(0);
    // Service discovery (src/dns): aliases from connect and from run --network-alias.
    expect(docker(['exec', 'asker', 'nslookup', '-type=a', 'db']).out).toContain('Address: 10.82.0.50');
    expect(docker(['exec', 'asker', 'nslookup', '-type=a', 'store']).out).toContain('Address: 10.82.0.50');
    expect(docker(['exec', 'peer', 'nslookup', '-type=a', 'www']).out).toContain('Address: 10.80.5.');
    // And the published port, on the second network too.
    expect(fetchInHost('http://10.254.0.1:8080/hostname').code).toBe(200);
    r = docker(['exec', 'asker', 'wget', '-qO-', 'http://db/hostname']);
    expect(r.out).toBe('webhost\n');

    r = docker(['network', 'connect', 'red', 'web']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error response from daemon: endpoint with name web already exists in network red\n');
    r = docker(['network', 'connect', 'host', 'peer']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error response from daemon: container cannot be disconnected from host network or connected to host network\n');
    r = docker(['network', 'connect', 'none', 'peer']);
    expect(r.err).toBe('Error response from daemon: container cannot be connected to multiple networks with one of the networks in private (none) mode\n');
    r = docker(['network', 'connect', '--ip', '10.99.0.1', 'red', 'peer']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('10.99.0.1');
    r = docker(['network', 'connect', 'nosuch', 'peer']);
    expect(r.err).toBe('Error response from daemon: network nosuch not found\n');
    r = docker(['network', 'connect', 'red', 'nosuch']);
    expect(r.err).toBe('Error response from daemon: No such container: nosuch\n');

    r = docker(['network', 'disconnect', '-f', 'red', 'web']);
    expect(r).toEqual({ code: 0, out: '', err: '' });
    expect(docker(['exec', 'web', 'ip', '-o', 'addr']).out).not.toContain('10.82.0.50');
    expect(docker(['inspect', '--format', '{{len .NetworkSettings.Networks}}', 'web']).out).toBe('1\n');
    r = docker(['network', 'disconnect', 'red', 'web']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('is not connected to network red');

    r = docker(['network', 'rm', 'blue']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error response from daemon: error while removing network: network blue has active endpoints \(name:"\w+" id:"[0-9a-f]{12}", name:"\w+" id:"[0-9a-f]{12}"\)\n/);
    r = docker(['network', 'rm', 'bridge']);
    expect(r.err).toContain('Error response from daemon: bridge is a pre-defined network and cannot be removed');
    expect(docker(['rm', '-f', 'asker', 'peer']).out).toBe('asker\npeer\n');
    r = docker(['network', 'rm', 'nosuch', 'red']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('red\n');
    expect(r.err).toContain('Error response from daemon: network nosuch not found');
    expect(docker(['network', 'rm', '-f', 'nosuch']).code).toBe(0);
  });

  it('malformed requests get 400 with a message and change nothing', async () => {
    const nets = await networkNames();
    const ctrs = await containerNames();
    const bridges = d.host.sh('ip -br link show type bridge');
    const cases: [string, string, string, RegExp][] = [
      ['POST', '/v1.50/networks/create', '{"Name": "x",', /^invalid JSON/],
      ['POST', '/v1.50/networks/create', '[]', /^invalid JSON: expected an object$/],
      ['POST', '/v1.50/networks/create', JSON.stringify({ Name: 5 }), /^invalid Name: must be a string$/],
      ['POST', '/v1.50/networks/create', JSON.stringify({ Driver: 'bridge' }), /name/i],
      ['POST', '/v1.50/networks/create', JSON.stringify({ Name: '' }), /name/i],
      ['POST', '/v1.50/networks/create', JSON.stringify({ Name: 'x', Internal: 'yes' }), /^invalid Internal: must be a boolean$/],
      ['POST', '/v1.50/networks/create', JSON.stringify({ Name: 'x', Labels: 'notamap' }), /^invalid Labels: must be an object$/],
      ['POST', '/v1.50/networks/create', JSON.stringify({ Name: 'x', IPAM: { Config: {} } }), /^invalid IPAM\.Config: must be an array$/],
      ['POST', '/v1.50/networks/create', JSON.stringify({ Name: 'y', IPAM: { Config: [{ Subnet: 'nonsense' }] } }),
        /^invalid network config:\ninvalid subnet nonsense: invalid CIDR block notation$/],
      ['POST', '/v1.50/networks/create', JSON.stringify({ Name: 'y', IPAM: { Config: [{ Subnet: '10.9.0.0/24', Gateway: '10.8.0.1', IPRange: 'zz' }] } }),
        /^invalid network config:\n\* invalid ip-range zz: invalid CIDR block notation\n\* invalid gateway 10\.8\.0\.1: parent subnet 10\.9\.0\.0\/24 doesn't contain this address$/],
      ['POST', '/v1.50/networks/blue/connect', JSON.stringify({}), /container/i],
      ['POST', '/v1.50/networks/blue/connect', JSON.stringify({ Container: 'web', EndpointConfig: { Aliases: 'x' } }), /Aliases/],
      ['POST', '/v1.50/networks/blue/disconnect', JSON.stringify({ Container: 'web', Force: 'yes' }), /Force/],
      ['POST', '/v1.50/containers/create', '{"Image": "busybox"', /^invalid JSON/],
      ['POST', '/v1.50/containers/create', JSON.stringify({ Image: 'busybox', Cmd: 'notalist' }), /Cmd/],
      ['POST', '/v1.50/containers/create', JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '99999' }] } } }),
        /^invalid port specification: "99999"$/],
      ['POST', '/v1.50/containers/create', JSON.stringify({ Image: 'busybox', Cmd: ['true'], NetworkingConfig: { EndpointsConfig: { blue: { IPAMConfig: { IPv4Address: 'nonsense' } } } } }),
        /^invalid config for network blue: invalid endpoint settings:\ninvalid IPv4 address: nonsense$/],
      ['POST', '/v1.50/containers/create?name=bad/name', JSON.stringify({ Image: 'busybox', Cmd: ['true'] }), /Invalid container name/],
      ['POST', '/v1.50/containers/web/exec', JSON.stringify({ Cmd: 'ls' }), /Cmd/],
      ['GET', '/v1.50/networks?filters=notjson', '', /filter/],
      ['GET', '/v1.12/networks', '', /^client version 1\.12 is too old/],
    ];
    for (const [method, p, body, msg] of cases) {
      const r = await d.api(method, p, undefined, body || undefined);
      expect(r.status, `${p} ${body}`).toBe(400);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['api-version']).toBe('1.52');
      expect(r.body.message, `${p} ${body}`).toMatch(msg);
    }
    expect(await networkNames()).toEqual(nets);
    expect(await containerNames()).toEqual(ctrs);
    expect(d.host.sh('ip -br link show type bridge')).toBe(bridges);
  });

  it('prune removes unused networks matching the filters', async () => {
    expect(docker(['network', 'create', '--label', 'tmp=1', 'scratch']).code).toBe(0);
    expect(docker(['network', 'create', '--label', 'age=old', 'old1']).code).toBe(0);
    await new Promise((res) => setTimeout(res, 1500));
    expect(docker(['network', 'create', '--label', 'age=new', 'new1']).code).toBe(0);
    // until: only networks created before the cutoff.
    let r = docker(['network', 'prune', '-f', '--filter', 'until=1s', '--filter', 'label=age']);
    expect(r).toEqual({ code: 0, out: 'Deleted Networks:\nold1\n\n', err: '' });
    r = docker(['network', 'prune', '-f', '--filter', 'label=tmp=1']);
    expect(r).toEqual({ code: 0, out: 'Deleted Networks:\nscratch\n\n', err: '' });
    r = docker(['network', 'prune', '-f', '--filter', 'label=nomatch']);
    expect(r).toEqual({ code: 0, out: '', err: '' });
    r = docker(['network', 'prune', '-f', '--filter', 'until=bogus']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error response from daemon: failed to parse value as time or duration: "bogus"\n');
    // Without filters: every unused user network, never the predefined ones or one in use.
    r = docker(['network', 'prune', '-f']);
    expect(r.code, r.err).toBe(0);
    expect(lines(r.out)).toEqual(['Deleted Networks:', 'green', 'new1']);
    expect(lines(docker(['network', 'ls', '--format', '{{.Name}}']).out)).toEqual(['blue', 'bridge', 'host', 'none']);
  });
});
