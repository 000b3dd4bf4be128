/**
 * HostConfig fields the runtime honours, in real containers driven through the API:
 * Tmpfs mounts, GroupAdd supplementary groups (main process and exec), UTSMode/PidMode
 * "host" and Init (tini as pid 1).
 */
import fs from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demux, execIn } from '../helpers/containers.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { destroyDaemon, startedDaemon } from '../helpers/suite.js';

describe('runtime fields', () => {
  let d: TestDaemon;

  beforeAll(async () => {
    d = await startedDaemon('nftables');
  });

  afterAll(() => destroyDaemon(d));

  async function create(cmd: string[], hostConfig: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    return d.api('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: cmd, HostConfig: hostConfig, ...extra });
  }

  /** Create, start and wait for a container; its exit code and stdout. */
  async function run(cmd: string[], hostConfig: Record<string, unknown>): Promise<{ id: string; code: number; out: string }> {
    const c = await create(cmd, hostConfig);
    expect(c.status, c.text).toBe(201);
    const s = await d.api('POST', `/v1.41/containers/${c.body.Id}/start`);
    expect(s.status, s.text).toBe(204);
    const w = await d.api('POST', `/v1.41/containers/${c.body.Id}/wait`);
    const logs = await d.api('GET', `/v1.41/containers/${c.body.Id}/logs?stdout=1&stderr=1`);
    return { id: c.body.Id, code: w.body.StatusCode, out: demux(logs.raw).stdout };
  }

  it('Tmpfs: a tmpfs at the path with the options sent, kept in inspect', async () => {
    const r = await run(['sh', '-c', 'grep " /scratch " /proc/mounts; stat -c %a /scratch'], { Tmpfs: { '/scratch': 'size=64m,mode=1777' } });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec,[^\n]*size=65536k/);
    expect(r.out).toContain('\n1777\n');
    const inspect = await d.api('GET', `/v1.41/containers/${r.id}/json`);
    expect(inspect.body.HostConfig.Tmpfs).toEqual({ '/scratch': 'size=64m,mode=1777' });
    const bad = await create(['true'], { Tmpfs: { scratch: '' } });
    expect(bad.status).toBe(400);
  });

  it('GroupAdd: ids and image group names as supplementary groups of the process and of exec', async () => {
    const r = await run(['grep', 'Groups', '/proc/self/status'], { GroupAdd: ['1000', 'nogroup'] });
    expect(r.code).toBe(0);
    expect(r.out.trim().split(/\s+/).slice(1).sort()).toEqual(['1000', '65534']);
    const c = await create(['sleep', '100'], { GroupAdd: ['4242'] });
    await d.api('POST', `/v1.41/containers/${c.body.Id}/start`);
    const e = await execIn(d, c.body.Id, ['grep', 'Groups', '/proc/self/status']);
    expect(e.stdout.trim().split(/\s+/).slice(1)).toEqual(['4242']);
    await d.api('DELETE', `/v1.41/containers/${c.body.Id}?force=1`);
    const unknown = await create(['true'], { GroupAdd: ['nosuchgroup'] });
    const s = await d.api('POST', `/v1.41/containers/${unknown.body.Id}/start`);
    expect(s.status).toBeGreaterThanOrEqual(400);
    expect(s.body.message).toContain('Unable to find group nosuchgroup');
  });

  it('UTSMode host: the host\'s hostname; with a Hostname refused as dockerd', async () => {
    const r = await run(['hostname'], { UTSMode: 'host' });
    expect(r.out.trim()).toBe(os.hostname());
    const bad = await create(['true'], { UTSMode: 'host' }, { Hostname: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('conflicting options: hostname and the UTS mode');
    expect((await create(['true'], { UTSMode: 'container:x' })).status).toBe(400);
  });

  it('PidMode host: the container sees the host\'s pids', async () => {
    const r = await run(['sh', '-c', 'echo $$; cat /proc/1/comm'], { PidMode: 'host' });
    const [pid, comm] = r.out.trim().split('\n');
    expect(Number(pid)).toBeGreaterThan(1);
    expect(comm).not.toBe('sh');
    const own = await run(['sh', '-c', 'echo $$'], {});
    expect(own.out.trim()).toBe('1');
  });

  it('PidMode host: the container\'s other processes end with it (no pid namespace takes them along)', async () => {
    const c = await create(['sh', '-c', 'sleep 1000 & echo $!; exec sleep 1001'], { PidMode: 'host' });
    await d.api('POST', `/v1.41/containers/${c.body.Id}/start`);
    let out = '';
    for (let i = 0; i < 100 && !out.trim(); i++) {
      out = demux((await d.api('GET', `/v1.41/containers/${c.body.Id}/logs?stdout=1`)).raw).stdout;
      await new Promise((r) => setTimeout(r, 20));
    }
    const bg = Number(out.trim());
    expect(fs.readFileSync(`/proc/${bg}/cmdline`, 'utf8')).toBe('sleep\u00001000\u0000');
    await d.api('POST', `/v1.41/containers/${c.body.Id}/stop?t=5`);
    // Gone, or a zombie until the host's init reaps it.
    const state = fs.existsSync(`/proc/${bg}`) ? fs.readFileSync(`/proc/${bg}/stat`, 'utf8').split(') ')[1]?.[0] : 'gone';
    expect(['gone', 'Z']).toContain(state);
  });

  it('Init: tini is pid 1, the command its child; a stop\'s SIGTERM reaches the command (143, not 137)', async () => {
    const r = await run(['sh', '-c', 'cat /proc/1/comm; echo $$'], { Init: true });
    const [comm, pid] = r.out.trim().split('\n');
    expect(comm).toMatch(/^(docker-init|tini)/);
    expect(Number(pid)).toBeGreaterThan(1);
    const c = await create(['sleep', '100'], { Init: true });
    await d.api('POST', `/v1.41/containers/${c.body.Id}/start`);
    await d.api('POST', `/v1.41/containers/${c.body.Id}/stop?t=20`);
    const inspect = await d.api('GET', `/v1.41/containers/${c.body.Id}/json`);
    expect(inspect.body.State.ExitCode).toBe(143);
    expect(inspect.body.HostConfig.Init).toBe(true);
  });
});
