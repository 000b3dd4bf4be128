/**
 * The default bridge's resolv.conf when the host has only resolvers a container cannot
 * reach (a loopback stub such as systemd-resolved's 127.0.0.53): dockerd's fallback to
 * Google Public DNS. The daemon runs in a private mount namespace whose /etc/resolv.conf
 * is a file of the test's, so the machine's own resolv.conf is never touched.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../helpers/daemon.js';
import { DockerCli, HAVE_DOCKER } from '../helpers/docker-cli.js';
import { makeNs } from '../helpers/lab.js';

describe.skipIf(!HAVE_DOCKER)('default bridge resolv.conf with only loopback host resolvers (docker CLI)', () => {
  let d: TestDaemon;
  let docker: DockerCli;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-resolv-'));
    const hostResolv = path.join(dir, 'resolv.conf');
    fs.writeFileSync(hostResolv, 'nameserver 127.0.0.53\nsearch lab.test\noptions edns0\n');
    d = new TestDaemon('nftables', makeNs('wpres'));
    d.wrapper = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', hostResolv];
    await d.start();
    docker = new DockerCli(d);
  });

  afterAll(async () => {
    docker?.cleanup();
    await d?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names 8.8.8.8 and 8.8.4.4 and keeps the host search domains and options', () => {
    const r = docker.run(['run', '--rm', 'busybox', 'cat', '/etc/resolv.conf']);
    expect(r.code, r.err).toBe(0);
    const nameservers = r.out.split('\n').filter((l) => l.startsWith('nameserver')).map((l) => l.split(/\s+/)[1]);
    expect(nameservers).toEqual(['8.8.8.8', '8.8.4.4']);
    expect(r.out).toMatch(/^search lab\.test$/m);
    expect(r.out).toMatch(/^options edns0$/m);
  });

  it('keeps a host resolver the container can reach, without the fallback', () => {
    const r = docker.run(['run', '--rm', '--dns', '192.0.2.53', 'busybox', 'cat', '/etc/resolv.conf']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^nameserver 192\.0\.2\.53$/m);
    expect(r.out).not.toContain('8.8.8.8');
  });
});
