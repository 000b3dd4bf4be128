/**
 * Healthchecks run by the daemon in the container (Config.Healthcheck), seen as clients see
 * them: State.Health in inspect, the status column of docker ps, across a daemon restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execIn } from '../helpers/containers.js';
import { type TestDaemon, waitFor } from '../helpers/daemon.js';
import { destroyDaemon, startedDaemonWithCli } from '../helpers/suite.js';
import { type DockerCli, HAVE_DOCKER } from '../helpers/docker-cli.js';

const MS = 1e6;

describe('healthchecks', () => {
  let d: TestDaemon;
  let docker: DockerCli;

  beforeAll(async () => {
    ({ d, cli: docker } = await startedDaemonWithCli('nftables'));
  });

  afterAll(() => destroyDaemon(d, docker));

  async function run(name: string, healthcheck: object, cmd = ['sleep', '1000']): Promise<void> {
    const c = await d.api('POST', `/v1.41/containers/create?name=${name}`, { Image: 'busybox', Cmd: cmd, Healthcheck: healthcheck });
    expect(c.status, c.text).toBe(201);
    expect((await d.api('POST', `/v1.41/containers/${name}/start`)).status).toBe(204);
  }
  const health = async (name: string) => (await d.api('GET', `/v1.41/containers/${name}/json`)).body.State.Health;
  const statusOf = (name: string) => async () => (await health(name))?.Status;

  it.skipIf(!HAVE_DOCKER)('starting, healthy, unhealthy after Retries failures; docker ps shows it', async () => {
    await run('hc', { Test: ['CMD-SHELL', 'test -f /tmp/ok && echo fine'], Interval: 300 * MS, Retries: 2 });
    const inspect = (await d.api('GET', '/v1.41/containers/hc/json')).body;
    expect(inspect.Config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'test -f /tmp/ok && echo fine'], Interval: 300 * MS, Retries: 2 });
    expect(inspect.State.Health).toEqual({ Status: 'starting', FailingStreak: 0, Log: [] });
    expect(docker.run(['ps', '--format', '{{.Status}}', '--filter', 'name=hc']).out).toMatch(/^Up .* \(health: starting\)\n$/);
    // One failure is not enough with Retries 2.
    await waitFor(async () => (await health('hc')).FailingStreak === 1, 'a first failure');
    expect((await health('hc')).Status).toBe('starting');
    await execIn(d, 'hc', ['touch', '/tmp/ok']);
    await waitFor(async () => (await statusOf('hc')()) === 'healthy', 'healthy');
    const h = await health('hc');
    expect(h.FailingStreak).toBe(0);
    expect(h.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'fine\n' });
    expect(Date.parse(h.Log.at(-1).End)).toBeGreaterThanOrEqual(Date.parse(h.Log.at(-1).Start));
    expect(docker.run(['ps', '--format', '{{.Status}}', '--filter', 'name=hc']).out).toMatch(/\(healthy\)\n$/);
    await execIn(d, 'hc', ['rm', '/tmp/ok']);
    await waitFor(async () => (await statusOf('hc')()) === 'unhealthy', 'unhealthy');
    expect((await health('hc')).FailingStreak).toBeGreaterThanOrEqual(2);
    await waitFor(async () => (await health('hc')).Log.length === 5, 'five log entries');
    await new Promise((r) => setTimeout(r, 700));
    expect((await health('hc')).Log).toHaveLength(5);
    expect(docker.run(['ps', '--format', '{{.Status}}', '--filter', 'name=hc']).out).toMatch(/\(unhealthy\)\n$/);
  });

  it('the docker CLI flags, CMD form, timeout, start period, NONE', async () => {
    if (HAVE_DOCKER) {
      const r = docker.run(['run', '-d', '--name', 'cli', '--health-cmd', 'true', '--health-interval', '200ms', 'busybox', 'sleep', '1000']);
      expect(r.code, r.err).toBe(0);
      await waitFor(async () => (await statusOf('cli')()) === 'healthy', 'cli healthy');
    }
    await run('slow', { Test: ['CMD', 'sleep', '5'], Interval: 200 * MS, Timeout: 300 * MS, Retries: 1 });
    await waitFor(async () => (await statusOf('slow')()) === 'unhealthy', 'timed out probe');
    expect((await health('slow')).Log[0]).toMatchObject({ ExitCode: -1, Output: 'Health check exceeded timeout (0.3s)' });
    await run('grace', { Test: ['CMD', 'false'], Interval: 200 * MS, Retries: 1, StartPeriod: 60_000 * MS });
    await waitFor(async () => (await health('grace')).Log.length >= 2, 'probes in the start period');
    expect(await health('grace')).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    await run('none', { Test: ['NONE'] });
    await new Promise((r) => setTimeout(r, 500));
    expect(await health('none')).toBeUndefined();
    for (const [hc, msg] of [[{ Interval: 5 }, 'Interval in Healthcheck cannot be less than 1ms'],
      [{ Retries: -1 }, 'Retries in Healthcheck cannot be negative']] as const) {
      const r = await d.api('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], Healthcheck: hc });
      expect(r.status).toBe(400);
      expect(r.body.message).toBe(msg);
    }
  });

  it('stops with the container and resumes after a daemon restart', async () => {
    await run('durable', { Test: ['CMD', 'true'], Interval: 200 * MS });
    await waitFor(async () => (await statusOf('durable')()) === 'healthy', 'healthy');
    // A graceful stop of weft stops its containers; a crash leaves them running.
    await d.crash();
    await d.start();
    const before = (await health('durable')).Log.at(-1).End;
    expect((await health('durable')).Status).toBe('healthy');
    await waitFor(async () => (await health('durable')).Log.at(-1).End > before, 'a probe after the restart');
    expect((await d.api('POST', '/v1.41/containers/durable/stop?t=1')).status).toBe(204);
    const stopped = (await health('durable')).Log;
    await new Promise((r) => setTimeout(r, 600));
    expect((await health('durable')).Log).toEqual(stopped);
  });
});
