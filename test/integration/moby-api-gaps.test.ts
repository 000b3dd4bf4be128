/**
 * Requests dockerd refuses or accepts, translated from moby's integration tests and driven
 * by the docker CLI (raw requests where the CLI would not send them): refusals are worded as
 * dockerd words them and change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../helpers/daemon.js';
import { DockerCli, HAVE_DOCKER } from '../helpers/docker-cli.js';
import { makeNs } from '../helpers/lab.js';

describe.skipIf(!HAVE_DOCKER)('dockerd refusals and acceptances (docker CLI)', () => {
  let d: TestDaemon;
  let docker: DockerCli;

  beforeAll(async () => {
    d = new TestDaemon('nftables', makeNs('wpapi'));
    await d.start();
    docker = new DockerCli(d);
  });

  afterAll(async () => {
    docker?.cleanup();
    await d?.destroy();
  });

  const ok = (args: string[]): string => {
    const r = docker.run(args);
    expect(r.code, `docker ${args.join(' ')}: ${r.err}`).toBe(0);
    return r.out.trim();
  };
  const refused = (args: string[]): string => {
    const r = docker.run(args);
    expect(r.code, `docker ${args.join(' ')} should fail: ${r.out}`).not.toBe(0);
    return r.err.trim();
  };
  const networksOf = (name: string): string[] =>
    Object.keys(JSON.parse(ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', name]))).sort();

  it('a container on a bridge cannot join the host network, and nothing is recorded', () => {
    ok(['run', '-d', '--name', 'wp-b1', 'busybox', 'sleep', '100000']);
    expect(refused(['network', 'connect', 'host', 'wp-b1']))
      .toBe('Error response from daemon: container cannot be disconnected from host network or connected to host network');
    ok(['create', '--name', 'wp-b2', 'busybox', 'true']);
    ok(['network', 'disconnect', 'bridge', 'wp-b2']);
    expect(refused(['network', 'connect', 'host', 'wp-b2']))
      .toBe('Error response from daemon: container cannot be disconnected from host network or connected to host network');
    expect(networksOf('wp-b1')).toEqual(['bridge']);
    expect(networksOf('wp-b2')).toEqual([]);
  });

  it('aliases and addresses only on user-defined networks', () => {
    expect(refused(['network', 'connect', '--alias', 'x', 'bridge', 'wp-b2'])).toBe('Error response from daemon: invalid endpoint settings:\n'
      + 'network-scoped aliases are only supported for user-defined networks');
    expect(networksOf('wp-b2')).toEqual([]);
    for (const net of ['none', 'host']) {
      expect(refused(['create', '--network', net, '--ip', '10.1.2.3', 'busybox']))
        .toBe(`Error response from daemon: invalid config for network ${net}: invalid endpoint settings:\n`
          + 'user-specified IP address is supported on user-defined networks only');
      expect(refused(['create', '--network', net, '--ip6', 'fd00::5', 'busybox']))
        .toBe(`Error response from daemon: invalid config for network ${net}: invalid endpoint settings:\n`
          + 'user-specified IP address is supported on user-defined networks only');
    }
    ok(['network', 'create', '--ipv6', '--subnet', '172.28.0.0/16', '--subnet', 'fd00:28::/64', 'wp-v6']);
    expect(refused(['create', '--network', 'wp-v6', '--ip6', '::ffff:172.28.99.99', 'busybox']))
      .toBe('Error response from daemon: invalid config for network wp-v6: invalid endpoint settings:\ninvalid IPv6 address: ::ffff:172.28.99.99');
    expect(refused(['network', 'connect', '--ip6', '::ffff:172.28.99.99', 'wp-v6', 'wp-b2']))
      .toBe('Error response from daemon: invalid endpoint settings:\ninvalid IPv6 address: ::ffff:172.28.99.99');
    expect(ok(['ps', '-aq']).split('\n')).toHaveLength(2);
  });

  it('predefined names cannot be created (403), any other name can', async () => {
    for (const name of ['bridge', 'host', 'none']) {
      const r = await d.api('POST', '/v1.50/networks/create', { Name: name });
      expect(r.status).toBe(403);
      expect(r.body.message).toBe(`operation is not permitted on predefined ${name} network `);
    }
    const id = ok(['network', 'create', 'test@#$']);
    expect(ok(['network', 'inspect', '-f', '{{.Name}}', 'test@#$'])).toBe('test@#$');
    expect(ok(['network', 'rm', id.slice(0, 12)])).toBe(id.slice(0, 12));
  });

  it('disconnect -f from a network that no longer exists drops the entry', () => {
    ok(['network', 'create', 'wp-gone']);
    ok(['create', '--name', 'wp-stale', '--network', 'wp-gone', 'busybox', 'true']);
    // A network removed while a stopped container still names it (dockerd allows the rm).
    ok(['network', 'rm', 'wp-gone']);
    expect(refused(['start', 'wp-stale'])).toMatch(/network wp-gone not found/);
    expect(refused(['network', 'disconnect', 'wp-gone', 'wp-stale'])).toBe('Error response from daemon: network wp-gone not found');
    ok(['network', 'disconnect', '-f', 'wp-gone', 'wp-stale']);
    ok(['start', 'wp-stale']);
  });

  it('JSON bodies and their Content-Type are checked as dockerd checks them', async () => {
    const post = (type: string | undefined, body: string) => new Promise<{ status: number; message: string }>((resolve, reject) => {
      const headers: Record<string, string | number> = { 'Content-Length': Buffer.byteLength(body) };
      if (type !== undefined) headers['Content-Type'] = type;
      import('node:http').then(({ request }) => {
        const req = request({ socketPath: d.socket, method: 'POST', path: '/v1.50/networks/create', headers }, (res) => {
          let text = '';
          res.on('data', (c) => { text += c; });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, message: JSON.parse(text).message }));
        });
        req.on('error', reject);
        req.end(body);
      }, reject);
    });
    expect(await post('text/plain', '{"Name":"wp-x"}')).toEqual({ status: 400, message: "unsupported Content-Type header (text/plain): must be 'application/json'" });
    expect(await post(undefined, '{"Name":"wp-x"}'))
      .toEqual({ status: 400, message: 'malformed Content-Type header (): mime: no media type' });
    expect(await post('application/json', '{"Name":')).toEqual({ status: 400, message: 'invalid JSON: unexpected EOF' });
    expect(await post('application/json', '{"Name":x}'))
      .toEqual({ status: 400, message: "invalid JSON: invalid character 'x' looking for beginning of value" });
    expect(await post('application/json', '{"Name":"wp-x"} {}')).toEqual({ status: 400, message: 'unexpected content after JSON' });
    expect((await post('application/json; charset=utf-8', '{"Name":"wp-x"}')).status).toBe(201);
    expect(ok(['network', 'ls', '--filter', 'name=wp-x', '--format', '{{.Name}}'])).toBe('wp-x');
  });

  it('a kill right after a daemon restart returns once the adopted container has exited', async () => {
    for (const name of ['wp-adopted', 'wp-adopted2']) ok(['run', '-d', '--name', name, 'busybox', 'sleep', '100000']);
    // kill -9 of the daemon: the containers keep running and the new daemon adopts them.
    await d.crash();
    await d.start();
    ok(['kill', 'wp-adopted']);
    expect(ok(['inspect', '-f', '{{.State.Running}} {{.State.Status}} {{.State.ExitCode}}', 'wp-adopted'])).toBe('false exited 137');
    ok(['kill', '-s', 'KILL', 'wp-adopted2']);
    expect(ok(['inspect', '-f', '{{.State.Running}} {{.State.Status}}', 'wp-adopted2'])).toBe('false exited');
  });
});
