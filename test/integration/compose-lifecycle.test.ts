/**
 * docker-compose 1.29.2 (Debian's) driving a project's whole life against weft: a
 * healthcheck-gated depends_on, logs and logs -f, run --rm (stdin_open by default), a config
 * change (compose re-creates through rename), foreground up stopped by Ctrl-C, and down
 * leaving nothing behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose } from '../helpers/compose.js';
import { TestDaemon, waitFor } from '../helpers/daemon.js';
import { DOCKER, HAVE_DOCKER } from '../helpers/docker-cli.js';

const HAVE_COMPOSE = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
const PROJECT = 'bhvproj';

const composeFile = (webCmd: string) => `version: "2.4"
services:
  db:
    image: busybox
    command: sh -c "sleep 1; touch /tmp/ready; echo db up; exec sleep 1000"
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 300ms
      retries: 30
  web:
    image: busybox
    command: sh -c "${webCmd}"
    depends_on:
      db:
        condition: service_healthy
`;

describe.skipIf(!HAVE_COMPOSE)('docker-compose project lifecycle', () => {
  let d: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    d = new TestDaemon('nftables');
    await d.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-compose-'));
    fs.writeFileSync(path.join(dir, 'docker-compose.yml'), composeFile('echo web started; exec sleep 1000'));
  });

  afterAll(async () => {
    await d?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const dc = (...args: string[]) => compose(d, dir, args, { project: PROJECT });
  const inspect = async (name: string) => (await d.api('GET', `/v1.41/containers/${name}/json`)).body;
  const projectContainers = async () =>
    (await d.api('GET', `/v1.41/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${PROJECT}`] }))}`)).body;

  it('up -d starts web only once db is healthy; logs shows both', async () => {
    const r = await dc('up', '-d');
    expect(r.code, r.stderr).toBe(0);
    const db = await inspect(`${PROJECT}_db_1`);
    const web = await inspect(`${PROJECT}_web_1`);
    expect(web.State.Running).toBe(true);
    const firstHealthy = db.State.Health.Log.find((l: { ExitCode: number }) => l.ExitCode === 0);
    expect(firstHealthy, JSON.stringify(db.State.Health)).toBeDefined();
    expect(Date.parse(web.State.StartedAt)).toBeGreaterThanOrEqual(Date.parse(firstHealthy.End));
    const logs = await dc('logs', '--no-color');
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/db_1 +\| db up/);
    expect(logs.stdout).toMatch(/web_1 +\| web started/);
  });

  it('logs -f follows until the containers stop', async () => {
    const follow = compose(d, dir, ['logs', '-f', '--no-color', 'web'], { project: PROJECT, timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const stop = await dc('stop', '-t', '1', 'web');
    expect(stop.code, stop.stderr).toBe(0);
    const r = await follow;
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toMatch(/web_1 +\| web started/);
  });

  // compose's default: `docker start --attach --interactive`, which attaches before the start. (With
  // COMPOSE_INTERACTIVE_NO_CLI, dockerpty attaches only after starting, and output written before
  // its attach is lost, with dockerd too.)
  it.skipIf(!HAVE_DOCKER)('run --rm: a one-off container with stdin open, its output, gone afterwards', async () => {
    const r = await compose(d, dir, ['run', '--rm', 'web', 'sh', '-c', 'echo one-off; exit 4'],
      { project: PROJECT, env: { COMPOSE_INTERACTIVE_NO_CLI: '0', DOCKER_CONFIG: path.join(dir, '.docker'), PATH: `${path.dirname(DOCKER)}:${process.env.PATH}` } });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toContain('one-off');
    const left = (await projectContainers()).filter((c: { Labels: Record<string, string> }) => c.Labels['com.docker.compose.oneoff'] === 'True');
    expect(left).toEqual([]);
  });

  it('a config change re-creates the service through rename', async () => {
    const before = (await inspect(`${PROJECT}_web_1`)).Id;
    fs.writeFileSync(path.join(dir, 'docker-compose.yml'), composeFile('echo web changed; exec sleep 1000'));
    const r = await dc('up', '-d');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Recreating bhvproj_web_1/);
    const web = await inspect(`${PROJECT}_web_1`);
    expect(web.Id).not.toBe(before);
    expect(web.Config.Cmd).toEqual(['sh', '-c', 'echo web changed; exec sleep 1000']);
    expect((await d.api('GET', `/v1.41/containers/${before}/json`)).status).toBe(404);
  });

  it('foreground up shows the output; Ctrl-C stops the containers', async () => {
    const env = { ...process.env, DOCKER_HOST: `unix://${d.socket}`, COMPOSE_PROJECT_NAME: PROJECT, COMPOSE_INTERACTIVE_NO_CLI: '1' };
    const up = spawn('docker-compose', ['--ansi', 'never', 'up'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    up.stdout.on('data', (b) => { out += b; });
    up.stderr.on('data', (b) => { out += b; });
    const exited = new Promise<number | null>((r) => up.on('close', (code) => r(code)));
    try {
      await waitFor(() => /web_1 +\| web changed/.test(out), `foreground output, got: ${out}`, 30_000);
      up.kill('SIGINT');
      await exited;
    } finally {
      if (up.exitCode === null) up.kill('SIGKILL');
    }
    expect(out).toContain('Gracefully stopping');
    for (const c of await projectContainers()) expect(c.State, c.Names[0]).toBe('exited');
  });

  it('down removes the containers and the network', async () => {
    const r = await dc('down');
    expect(r.code, r.stderr).toBe(0);
    expect(await projectContainers()).toEqual([]);
    const nets = (await d.api('GET', '/v1.41/networks')).body.map((n: { Name: string }) => n.Name);
    expect(nets).not.toContain(`${PROJECT}_default`);
  });
});
