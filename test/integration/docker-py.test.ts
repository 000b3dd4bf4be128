/**
 * docker-py (Debian's python3-docker 5.0.3, /usr/bin/python3) against weft: each check of
 * test/clients/docker_py.py runs as its own process inside the daemon's namespace, so the
 * published port it fetches is on that namespace's loopback and no traffic leaves the lab.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, type TestDaemon } from '../helpers/daemon.js';
import { destroyDaemon, startedDaemon } from '../helpers/suite.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(REPO, 'test/clients/docker_py.py');
const HAVE_DOCKER_PY = fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import docker']).status === 0;

describe.skipIf(!HAVE_DOCKER_PY)('docker-py against weft', () => {
  let d: TestDaemon;

  beforeAll(async () => {
    d = await startedDaemon('nftables');
  });

  afterAll(() => destroyDaemon(d));

  function check(name: string): void {
    const r = spawnSync('nsenter', [`--net=${d.host.path}`, PYTHON, SCRIPT, name], {
      encoding: 'utf8', timeout: 90_000, env: { PATH: process.env.PATH, HOME: d.root, DOCKER_HOST: `unix://${d.socket}` },
    });
    expect(r.status, `${r.stdout}\n${r.stderr}\n${d.log}`).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(`ok ${name}`);
  }

  it('containers.run in the foreground returns the output', () => check('run_foreground'));
  it('inspect returns the HostConfig and Config fields create received, and dockerd\'s defaults', () => check('inspect_fields'));
  it('refusals in dockerd\'s words change nothing', () => check('refusals'));
  it('swarm endpoints answer 503 as a non-swarm dockerd, unknown ones 404', () => check('swarm_and_unknown'));
  it('a network named with a space, a static address and an alias carry HTTP between containers', () => check('network_traffic'));
  it('connect keeps aliases, links, address and link-local addresses; disconnect', () => check('connect_fields'));
  it('an IPv6 subnet without EnableIPv6 is kept and listed, nothing allocated from it', () => check('ipv6_subnet_without_ipv6'));
  it('a published port answers on loopback; exec gives exit code and demuxed streams', () => check('ports_and_exec'));
});
