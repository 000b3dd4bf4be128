/**
 * Sticky addresses (`-o weft.sticky-ips`, on by default for user-defined networks): a container
 * stopped and started, or removed and run again under its name, or a compose service
 * re-created, gets its old dynamic address back while it is free, across a daemon restart too.
 * A remembered address goes to another container only when the pool has no other free one, and
 * never to two at once; with the option false (and on the default bridge) the serial allocator
 * moves on as dockerd's does. Addresses are read from `docker inspect` and from the kernel.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose } from '../helpers/compose.js';
import { inNs } from '../helpers/containers.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { type DockerCli, HAVE_DOCKER } from '../helpers/docker-cli.js';
import { destroyDaemon, startedDaemonWithCli } from '../helpers/suite.js';

const HAVE_COMPOSE = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!HAVE_DOCKER)('sticky addresses', () => {
  let d: TestDaemon;
  let docker: DockerCli;
  let dir: string;

  const ok = (args: string[]): string => {
    const r = docker.run(args);
    expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
    return r.out.trim();
  };
  /** The address docker inspect reports, checked against the one on the container's interface in the kernel. */
  const ipOf = (name: string, net: string): string => {
    const ip = ok(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, name]);
    const kernel = inNs(d, name, 'ip -4 -o addr show dev eth0');
    expect(kernel.out, name).toContain(` ${ip}/`);
    return ip;
  };
  const run = (name: string, net: string, ...extra: string[]) =>
    ok(['run', '-d', '--name', name, '--network', net, ...extra, 'busybox', 'sleep', '1000']);

  beforeAll(async () => {
    ({ d, cli: docker } = await startedDaemonWithCli('nftables'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-compose-'));
  });

  afterAll(async () => {
    await destroyDaemon(d, docker);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stop/start and rm + run under the same name keep the address', () => {
    ok(['network', 'create', '--subnet', '10.97.1.0/24', 'stnet1']);
    run('sta', 'stnet1');
    const first = ipOf('sta', 'stnet1');
    run('stb', 'stnet1');
    ok(['stop', '-t', '0', 'sta']);
    run('stc', 'stnet1');
    ok(['start', 'sta']);
    expect(ipOf('sta', 'stnet1')).toBe(first);
    ok(['rm', '-f', 'sta']);
    run('std', 'stnet1');
    run('sta', 'stnet1');
    expect(ipOf('sta', 'stnet1')).toBe(first);
    const ips = ['sta', 'stb', 'stc', 'std'].map((n) => ipOf(n, 'stnet1'));
    expect(new Set(ips).size).toBe(4);
  });

  it('a remembered address goes to another container only when the pool has no other free one', () => {
    // 10.97.2.0/29: .1 is the gateway, .2-.6 the five addresses containers get.
    ok(['network', 'create', '--subnet', '10.97.2.0/29', 'stnet2']);
    run('ste', 'stnet2');
    expect(ipOf('ste', 'stnet2')).toBe('10.97.2.2');
    run('stx', 'stnet2', '--ip', '10.97.2.3');
    for (const n of ['stf', 'stg', 'sth']) run(n, 'stnet2');
    ok(['stop', '-t', '0', 'ste']);
    ok(['rm', '-f', 'stx']); // .3 free again, remembered by nobody (it was asked for by address)
    run('sti', 'stnet2'); // the serial pick wraps around to .2, which ste still holds in memory
    expect(ipOf('sti', 'stnet2')).toBe('10.97.2.3');
    ok(['start', 'ste']);
    expect(ipOf('ste', 'stnet2')).toBe('10.97.2.2');
    // The pool's only free address is the remembered one: it is given, and ste loses it.
    ok(['stop', '-t', '0', 'ste']);
    run('stj', 'stnet2');
    expect(ipOf('stj', 'stnet2')).toBe('10.97.2.2');
    const again = docker.run(['start', 'ste']);
    expect(again.code).not.toBe(0);
    expect(again.err).toContain('no available addresses');
    const ips = ['stf', 'stg', 'sth', 'sti', 'stj'].map((n) => ipOf(n, 'stnet2'));
    expect(new Set(ips).size).toBe(5);
  });

  it('an address another container asked for meanwhile is not handed out twice, nor taken back later', () => {
    ok(['network', 'create', '--subnet', '10.97.3.0/24', 'stnet3']);
    run('stk', 'stnet3');
    const old = ipOf('stk', 'stnet3');
    ok(['stop', '-t', '0', 'stk']);
    run('stl', 'stnet3', '--ip', old);
    ok(['start', 'stk']);
    const now = ipOf('stk', 'stnet3');
    expect(now).not.toBe(old);
    expect(ipOf('stl', 'stnet3')).toBe(old);
    ok(['rm', '-f', 'stl']);
    ok(['restart', '-t', '0', 'stk']);
    expect(ipOf('stk', 'stnet3')).toBe(now);
  });

  it('the memory survives a daemon restart', async () => {
    ok(['network', 'create', '--subnet', '10.97.4.0/24', 'stnet4']);
    run('stm', 'stnet4');
    const first = ipOf('stm', 'stnet4');
    ok(['stop', '-t', '0', 'stm']);
    await d.stop();
    await d.start();
    run('stn', 'stnet4');
    ok(['start', 'stm']);
    expect(ipOf('stm', 'stnet4')).toBe(first);
    expect(ipOf('stn', 'stnet4')).not.toBe(first);
  });

  it('weft.sticky-ips=false and the default bridge keep the serial allocator', () => {
    const bad = docker.run(['network', 'create', '-o', 'weft.sticky-ips=maybe', 'stbad']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('weft.sticky-ips must be true or false');
    expect(docker.run(['network', 'inspect', 'stbad']).code).not.toBe(0);
    ok(['network', 'create', '--subnet', '10.97.5.0/24', '-o', 'weft.sticky-ips=false', 'stnet5']);
    for (const [net, name] of [['stnet5', 'sto'], ['bridge', 'stp']]) {
      run(name, net);
      const old = ipOf(name, net);
      ok(['stop', '-t', '0', name]);
      ok(['start', name]);
      expect(ipOf(name, net)).not.toBe(old);
    }
  });

  it.skipIf(!HAVE_COMPOSE)('docker-compose up --force-recreate keeps the service address', async () => {
    fs.writeFileSync(path.join(dir, 'docker-compose.yml'), `version: "2.4"
services:
  web:
    image: busybox
    command: sleep 1000
    networks: [back]
  other:
    image: busybox
    command: sleep 1000
    networks: [back]
networks:
  back: {}
`);
    const up = (...extra: string[]) => compose(d, dir, ['up', '-d', ...extra], { project: 'stp' });
    let r = await up();
    expect(r.code, r.stderr).toBe(0);
    const before = ipOf('stp_web_1', 'stp_back');
    r = await up('--force-recreate', 'web');
    expect(r.code, r.stderr).toBe(0);
    expect(ipOf('stp_web_1', 'stp_back')).toBe(before);
    expect(ipOf('stp_other_1', 'stp_back')).not.toBe(before);
    r = await compose(d, dir, ['down'], { project: 'stp' });
    expect(r.code, r.stderr).toBe(0);
  });
});
