/**
 * GET /events seen by real clients: the docker CLI live (in the background, ended by PID) and
 * replaying with --since/--until, weft's own CLI printing the same lines, docker-py's
 * client.events; a client that never reads leaves the daemon serving; each API call's request
 * id is in the log lines of its operation.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon, waitFor } from '../helpers/daemon.js';
import { DOCKER, DockerCli, HAVE_DOCKER } from '../helpers/docker-cli.js';

const PYTHON = '/usr/bin/python3';
const HAVE_DOCKER_PY = fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import docker']).status === 0;
/** A unix time with a fraction, as the docker CLI accepts for --since/--until. */
const stamp = (ms = Date.now()) => (ms / 1000).toFixed(3);

describe.skipIf(!HAVE_DOCKER)('events', () => {
  let d: TestDaemon;
  let docker: DockerCli;
  const live: ChildProcess[] = [];

  beforeAll(async () => {
    d = new TestDaemon('nftables', undefined, ['--log-level', 'debug']);
    await d.start();
    docker = new DockerCli(d);
  });

  afterAll(async () => {
    for (const c of live) if (c.exitCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
    await d?.destroy();
    docker?.cleanup();
  });

  /** `docker events ARGS` in the background; its output so far in out(). */
  function background(args: string[]): { child: ChildProcess; out: () => string } {
    const child = spawn(DOCKER, ['events', ...args], { env: docker.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    live.push(child);
    let out = '';
    child.stdout!.on('data', (b) => { out += b; });
    child.stderr!.on('data', (b) => { out += b; });
    return { child, out: () => out };
  }

  const ok = (args: string[]) => {
    const r = docker.run(args);
    expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
    return r.out.trim();
  };

  it('docker events --filter type=network shows create, connect, disconnect and destroy, live', async () => {
    const since = stamp();
    const ev = background(['--filter', 'type=network', '--since', since]);
    const netId = ok(['network', 'create', 'we-live']);
    const cid = ok(['run', '-d', '--name', 'we-live-c', '--network', 'we-live', 'busybox', 'sleep', '1000']);
    ok(['network', 'disconnect', 'we-live', 'we-live-c']);
    ok(['network', 'connect', 'we-live', 'we-live-c']);
    ok(['rm', '-f', 'we-live-c']);
    ok(['network', 'rm', 'we-live']);
    const containerEvents = ok(['events', '--since', since, '--until', stamp(), '--filter', 'container=we-live-c']);
    expect(containerEvents.split('\n').map((l) => l.split(' ')[2])).toEqual(['create', 'start', 'kill', 'die', 'destroy']);
    expect(containerEvents).toMatch(/ container kill [0-9a-f]{64} \(image=busybox, name=we-live-c, signal=9\)\n/);
    const attrs = (withContainer: boolean) => `\\((?:${withContainer ? `container=${cid}, ` : ''})name=we-live, type=bridge\\)`;
    const line = (action: string, withContainer: boolean) =>
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:]+\\.\\d{9}(Z|[+-]\\d\\d:\\d\\d) network ${action} ${netId} ${attrs(withContainer)}$`, 'm');
    await waitFor(() => ev.out().includes(`network destroy ${netId}`), 'the destroy event', 15_000);
    process.kill(ev.child.pid!, 'SIGTERM');
    const mine = ev.out().split('\n').filter((l) => l.includes(netId));
    expect(mine.map((l) => l.split(' ')[2]), ev.out()).toEqual(['create', 'connect', 'disconnect', 'connect', 'disconnect', 'destroy']);
    expect(ev.out()).toMatch(line('create', false));
    expect(ev.out()).toMatch(line('connect', true));
    expect(ev.out()).toMatch(line('disconnect', true));
    expect(ev.out()).not.toMatch(/ container /); // type=network only
  });

  it('--filter container= --filter event=die replays one container\'s exit with its code', () => {
    const since = stamp();
    const run = docker.run(['run', '--name', 'we-die', 'busybox', 'sh', '-c', 'exit 3']);
    expect(run.code).toBe(3);
    docker.run(['run', '--name', 'we-other', 'busybox', 'true']);
    const out = ok(['events', '--since', since, '--until', stamp(), '--filter', 'container=we-die', '--filter', 'event=die']);
    const id = ok(['inspect', '-f', '{{.Id}}', 'we-die']);
    expect(out).toMatch(new RegExp(`^\\S+ container die ${id} \\(execDuration=\\d+, exitCode=3, image=busybox, name=we-die\\)$`));
    const all = ok(['events', '--since', since, '--until', stamp(), '--filter', 'container=we-die']);
    expect(all.split('\n').map((l) => l.split(' ')[2])).toEqual(['create', 'attach', 'start', 'die']);
  });

  it('docker stop reports kill with signal=15 before die and stop, and signal=9 when the timeout runs out', () => {
    const since = stamp();
    // As PID 1, sleep would ignore SIGTERM; a shell that traps it exits.
    ok(['run', '-d', '--name', 'we-stop', 'busybox', 'sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.1; done"]);
    ok(['stop', '-t', '10', 'we-stop']);
    // This shell ignores SIGTERM: the stop has to send SIGKILL after its timeout.
    ok(['run', '-d', '--name', 'we-hold', 'busybox', 'sh', '-c', "trap '' TERM; while true; do sleep 1; done"]);
    ok(['stop', '-t', '1', 'we-hold']);
    const replay = (name: string) => ok(['events', '--since', since, '--until', stamp(), '--filter', `container=${name}`]).split('\n');
    const stopped = replay('we-stop');
    expect(stopped.map((l) => l.split(' ')[2])).toEqual(['create', 'start', 'kill', 'die', 'stop']);
    expect(stopped[2]).toMatch(/ container kill [0-9a-f]{64} \(image=busybox, name=we-stop, signal=15\)$/);
    const killed = replay('we-hold');
    expect(killed.map((l) => l.split(' ')[2])).toEqual(['create', 'start', 'kill', 'kill', 'die', 'stop']);
    expect(killed.slice(2, 4).map((l) => /signal=(\d+)/.exec(l)?.[1])).toEqual(['15', '9']);
  });

  it('a container with a healthcheck reports health_status: healthy', async () => {
    const since = stamp();
    ok(['run', '-d', '--name', 'we-health', '--health-cmd', 'true', '--health-interval', '300ms', 'busybox', 'sleep', '1000']);
    const replay = () => ok(['events', '--since', since, '--until', stamp(), '--filter', 'event=health_status']);
    const out = await waitFor(() => (replay().includes('healthy') ? replay() : ''), 'the health_status event');
    expect(out).toMatch(/ container health_status: healthy [0-9a-f]{64} \(image=busybox, name=we-health\)$/);
    expect(out.split('\n')).toHaveLength(1); // only on a change of status
  });

  it('since/until: a past window replays exactly its events and ends; bad bounds are refused', async () => {
    const t0 = Date.now();
    ok(['network', 'create', 'we-a']);
    await new Promise((r) => setTimeout(r, 20));
    const t1 = Date.now();
    ok(['network', 'create', 'we-b']);
    ok(['network', 'rm', 'we-a', 'we-b']);
    const t2 = Date.now();
    const names = (since: number, until: number) =>
      ok(['events', '--since', stamp(since), '--until', stamp(until), '--filter', 'type=network'])
        .split('\n').filter(Boolean).map((l) => `${l.split(' ')[2]} ${/name=([^,)]+)/.exec(l)?.[1]}`);
    expect(names(t0, t1)).toEqual(['create we-a']);
    expect(names(t1, t2)).toEqual(['create we-b', 'destroy we-a', 'destroy we-b']);
    // The API answers the same as a stream of JSON lines that ends by itself.
    const r = await d.api('GET', `/events?since=${stamp(t0)}&until=${stamp(t2)}&filters=${encodeURIComponent('{"type":["network"]}')}`);
    expect(r.status).toBe(200);
    const msgs = r.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(msgs.map((m) => m.Action)).toEqual(['create', 'create', 'destroy', 'destroy']);
    expect(msgs[0]).toMatchObject({ Type: 'network', scope: 'local', Actor: { Attributes: { name: 'we-a', type: 'bridge' } } });
    expect(msgs[0].time).toBe(Math.floor(msgs[0].timeNano / 1e9));
    const bad = await d.api('GET', `/events?since=${stamp(t2)}&until=${stamp(t0)}`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe(`\`since\` time (${stamp(t2)}) cannot be after \`until\` time (${stamp(t0)})`);
    expect((await d.api('GET', '/events?since=yesterday')).status).toBe(400);
    expect((await d.api('GET', `/events?filters=${encodeURIComponent('{"colour":["red"]}')}`)).body.message).toBe("invalid filter 'colour'");
  });

  it('with a future until the stream carries live events and ends at that time', async () => {
    const until = Date.now() + 1500;
    const pending = d.api('GET', `/events?until=${stamp(until)}&filters=${encodeURIComponent('{"network":["we-future"]}')}`);
    await new Promise((r) => setTimeout(r, 200));
    ok(['network', 'create', 'we-future']);
    ok(['network', 'rm', 'we-future']);
    const r = await pending;
    expect(Date.now()).toBeGreaterThanOrEqual(until - 50);
    expect(r.text.trim().split('\n').map((l) => JSON.parse(l).Action)).toEqual(['create', 'destroy']);
  });

  it('container events carry the legacy status/id/from fields; weft events prints what docker events prints', () => {
    const since = stamp();
    const cid = ok(['create', '--name', 'we-legacy', '--label', 'tier=web', 'busybox', 'true']);
    ok(['rename', 'we-legacy', 'we-legacy2']);
    ok(['rm', 'we-legacy2']);
    const until = stamp();
    const args = ['events', '--since', since, '--until', until, '--filter', 'label=tier=web'];
    const fromDocker = ok(args);
    expect(fromDocker.split('\n').map((l) => l.split(' ')[2])).toEqual(['create', 'rename', 'destroy']);
    expect(fromDocker).toContain(`container rename ${cid} (image=busybox, name=we-legacy2, oldName=/we-legacy, tier=web)`);
    const fromWeft = d.cli(args);
    expect(fromWeft.code, fromWeft.stderr).toBe(0);
    expect(fromWeft.stdout.trim()).toBe(fromDocker);
    const raw = docker.run(['events', '--since', since, '--until', until, '--filter', 'event=create', '--format', '{{json .}}']);
    const msg = JSON.parse(raw.out.trim().split('\n')[0]);
    expect(msg).toMatchObject({ status: 'create', id: cid, from: 'busybox', Type: 'container', Action: 'create', scope: 'local' });
  });

  it('a client that never reads while many events happen is dropped; the daemon keeps serving', async () => {
    const stuck = net.connect(d.socket);
    await new Promise((r) => stuck.once('connect', r));
    stuck.write('GET /events HTTP/1.1\r\nHost: weft\r\n\r\n');
    stuck.pause();
    stuck.on('error', () => undefined); // a reset instead of an end is a drop too
    const reader = background(['--filter', 'event=exec_create', '--since', stamp()]);
    ok(['run', '-d', '--name', 'we-busy', 'busybox', 'sleep', '1000']);
    const big = 'x'.repeat(16 * 1024); // each exec_create event names its command: ~16 KiB an event
    for (let i = 0; i < 200; i++) {
      const r = await d.api('POST', '/containers/we-busy/exec', { Cmd: ['echo', big, String(i)] });
      expect(r.status).toBe(201);
    }
    expect((await d.api('GET', '/_ping')).text).toBe('OK');
    // Resumed, the stuck client reads what was queued for it, then the end: it was dropped.
    let got = 0;
    stuck.on('data', (b: Buffer) => { got += b.length; });
    stuck.resume();
    await new Promise((r) => stuck.once('close', r));
    expect(got).toBeLessThan(200 * big.length);
    await waitFor(() => reader.out().split('\n').filter((l) => l.includes('exec_create')).length === 200, 'a reading client gets all 200');
    process.kill(reader.child.pid!, 'SIGTERM');
    expect(docker.run(['ps', '--filter', 'name=we-busy', '--format', '{{.Names}}']).out.trim()).toBe('we-busy');
  });

  it('one request id per API call, returned and in every log line of its operation', async () => {
    const logged = d.log.length;
    const r = await new Promise<{ id: string | undefined }>((resolve, reject) => {
      const body = JSON.stringify({ Name: 'we-reqid' });
      const headers = { 'Content-Type': 'application/json', 'Content-Length': body.length, 'X-Request-Id': 'we-req-1' };
      const req = http.request({ socketPath: d.socket, method: 'POST', path: '/networks/create', headers }, (res) => {
        res.resume();
        res.on('end', () => resolve({ id: res.headers['x-request-id'] as string }));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(r.id).toBe('we-req-1');
    const fresh = await d.api('DELETE', '/networks/we-reqid');
    const freshId = fresh.headers['x-request-id'] as string;
    expect(freshId).toMatch(/^[0-9a-f]{16}$/);
    const linesNow = () => d.log.slice(logged).split('\n').filter((l) => /^\{.*\}$/.test(l)).map((l) => JSON.parse(l));
    // The request line is written once the response is out.
    await waitFor(() => linesNow().some((l) => l.reqId === freshId && l.msg === 'request'), 'the request line of the removal');
    const lines = linesNow();
    const of = (id: string) => lines.filter((l) => l.reqId === id).map((l) => l.msg);
    expect(of('we-req-1')).toEqual(expect.arrayContaining(['network created', 'request']));
    expect(of(freshId)).toEqual(expect.arrayContaining(['network removed', 'request']));
    expect(lines.filter((l) => /network (created|removed)/.test(l.msg)).every((l) => l.reqId)).toBe(true);
  });

  it('--log-format text writes one readable line per record, with the request id', async () => {
    const t = new TestDaemon('nftables', undefined, ['--log-level', 'debug', '--log-format', 'text']);
    try {
      await t.start();
      const r = await t.api('POST', '/networks/create', { Name: 'we-text' });
      expect(r.status).toBe(201);
      const id = r.headers['x-request-id'] as string;
      await waitFor(() => t.log.includes(`request reqId=${id}`), 'the request line');
      expect(t.log).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z INFO  network created reqId=${id} network=we-text id=[0-9a-f]{64} driver=bridge$`, 'm'));
      expect(t.log).not.toMatch(/^\{/m);
    } finally {
      await t.destroy();
    }
  });

  it.skipIf(!HAVE_DOCKER_PY)('docker-py client.events(decode=True) with since/until', () => {
    const since = Date.now() / 1000;
    ok(['network', 'create', 'we-py']);
    ok(['network', 'rm', 'we-py']);
    const until = Date.now() / 1000;
    const py = `import docker, json
c = docker.from_env()
for e in c.events(since=${since}, until=${until}, decode=True, filters={'network': 'we-py'}):
    print(json.dumps([e['Type'], e['Action'], e['Actor']['Attributes']['name']]))`;
    const r = spawnSync(PYTHON, ['-c', py], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, DOCKER_HOST: `unix://${d.socket}` } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([['network', 'create', 'we-py'], ['network', 'destroy', 'we-py']]);
  });
});
