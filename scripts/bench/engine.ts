/**
 * The figures weft and dockerd both give through the same Docker Engine API calls (HTTP over
 * their unix sockets from this process, no exec per operation): network create/delete,
 * attach (create+start with one published port), connect/disconnect, detach, daemon RSS,
 * and e2e (`run -d -p` through the CLI until the port answers from another namespace).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { SocketClient } from '../../test/helpers/api.js';
import { now, pct, record, recordValue, sleep } from './harness.js';
import { children, teardowns } from './lab.js';
import { E2E_RUNS, N, NET_RUNS, SECTIONS } from './options.js';

export interface EngineSystem {
  sys: string;
  api: SocketClient;
  /** The namespace the e2e poller connects from (behind the daemon's host namespace). */
  outside: string;
  cli: (args: string[]) => { status: number | null; stderr: string };
  rss: () => { mb: number; note?: string };
  attachNote: string;
}

/** When each attach's start request was sent and answered (wall clock), for weft's breakdown. */
export interface StartTimes { startSent: number[]; startDone: number[]; names: string[] }

export async function waitSocket(api: SocketClient, what: string, child: ChildProcess, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited early (${child.exitCode ?? child.signalCode})`);
    }
    if (await api.ping()) return;
    await sleep(100);
  }
  throw new Error(`${what} did not come up in ${seconds} s`);
}

export async function engineFigures(s: EngineSystem): Promise<StartTimes> {
  const times: StartTimes = { startSent: [], startDone: [], names: [] };
  if (SECTIONS.includes('network')) await networkFigures(s);
  if (!SECTIONS.includes('attach') && !SECTIONS.includes('e2e')) return times;
  await s.api.must('POST', '/networks/create', 'bench network',
    { Name: 'bench', Driver: 'bridge', IPAM: { Config: [{ Subnet: '10.100.0.0/16' }] } });
  if (SECTIONS.includes('attach')) await attachFigures(s, times);
  if (SECTIONS.includes('e2e')) await e2eFigures(s);
  return times;
}

async function networkFigures({ sys, api }: EngineSystem): Promise<void> {
  const create: number[] = [];
  const del: number[] = [];
  for (let i = 0; i < NET_RUNS; i++) {
    let t = now();
    const net = { Name: `n${i}`, Driver: 'bridge', IPAM: { Config: [{ Subnet: `10.111.${i}.0/24` }] } };
    const id = (await api.must('POST', '/networks/create', 'network create', net)).Id;
    create.push(now() - t);
    t = now();
    await api.must('DELETE', `/networks/${id}`, 'network rm');
    del.push(now() - t);
  }
  record(sys, 'netcreate', 'network create (bridge, subnet)', create);
  record(sys, 'netdelete', 'network delete', del);
}

async function attachFigures(s: EngineSystem, times: StartTimes): Promise<void> {
  const { sys, api } = s;
  const attach: number[] = [];
  const ids: string[] = [];
  teardowns.add(async () => {
    for (const id of ids) await api.request('DELETE', `/containers/${id}?force=1`).catch(() => undefined);
  });
  for (let i = 0; i < N; i++) {
    const t = now();
    const c = await api.must('POST', `/containers/create?name=c${i}`, 'container create', {
      Image: 'busybox', Cmd: ['sleep', '100000'], ExposedPorts: { '80/tcp': {} },
      HostConfig: { NetworkMode: 'bench', PortBindings: { '80/tcp': [{ HostPort: String(20000 + i) }] } },
    });
    ids.push(c.Id);
    times.names.push(`c${i}`);
    times.startSent.push(Date.now());
    await api.must('POST', `/containers/${c.Id}/start`, 'container start');
    times.startDone.push(Date.now());
    attach.push(now() - t);
  }
  record(sys, 'attach', 'attach: create+start, 1 published port', attach, s.attachNote);
  const rss = s.rss();
  recordValue(sys, 'rss', `daemon RSS with ${N} endpoints`, rss.mb, rss.note);
  await connectFigures(s, ids);
  const detach: number[] = [];
  while (ids.length) {
    const id = ids.shift()!;
    const t = now();
    await api.must('DELETE', `/containers/${id}?force=1`, 'container rm');
    detach.push(now() - t);
  }
  record(sys, 'detach', 'detach: rm -f', detach, 'includes killing the container process');
}

/** Network only: connect/disconnect an already running container to a second network. */
async function connectFigures({ sys, api }: EngineSystem, ids: string[]): Promise<void> {
  const net2 = { Name: 'bench2', Driver: 'bridge', IPAM: { Config: [{ Subnet: '10.99.0.0/16' }] } };
  await api.must('POST', '/networks/create', 'bench2', net2);
  const conn: number[] = [];
  const disc: number[] = [];
  for (let i = 0; i < Math.min(N, 100); i++) {
    let t = now();
    await api.must('POST', '/networks/bench2/connect', 'network connect', { Container: ids[i] });
    conn.push(now() - t);
    t = now();
    await api.must('POST', '/networks/bench2/disconnect', 'network disconnect', { Container: ids[i] });
    disc.push(now() - t);
  }
  record(sys, 'connect', `network connect of a running container (no port), ${N} running`, conn);
  record(sys, 'disconnect', 'network disconnect of a running container', disc);
}

async function e2eFigures({ sys, api, outside, cli }: EngineSystem): Promise<void> {
  const e2e: number[] = [];
  const returned: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = Date.now();
    cli(['version']);
    floor.push(Date.now() - t);
  }
  for (let i = 0; i < E2E_RUNS; i++) {
    const port = 30000 + i;
    const poll = pollAnswer(outside, '10.250.0.1', port);
    await poll.ready;
    await sleep(20);
    const t = Date.now();
    const r = cli(['run', '-d', '--name', `e${i}`, '-p', `${port}:80`, '--network', 'bench', 'busybox', 'httpd', '-f', '-p', '80']);
    returned.push(Date.now() - t);
    if (r.status !== 0) throw new Error(`${sys} run failed: ${r.stderr}`);
    e2e.push((await poll.answered) - t);
    await api.must('DELETE', `/containers/e${i}?force=1`, 'rm');
  }
  record(sys, 'e2e', 'e2e: `run -d -p` until the port answers', e2e,
    `the CLI returned after p50 ${pct(returned, 50)} ms; its bare start (\`version\`) takes p50 ${pct(floor, 50)} ms; `
    + 'answered from another namespace via the host namespace address');
}

/**
 * Wall-clock time (ms since the epoch) at which host:port first answers an HTTP request
 * from the outside namespace: a poller there connects every 2 ms.
 */
function pollAnswer(outside: string, host: string, port: number): { ready: Promise<void>; answered: Promise<number> } {
  const script = 'const net=require(\'net\');console.log(\'ready\');'
    + `const t=setInterval(()=>{const c=net.connect({host:'${host}',port:${port}});`
    + `c.on('connect',()=>{c.write('GET / HTTP/1.0\\r\\n\\r\\n')});c.on('data',()=>{console.log(Date.now());process.exit(0)});`
    + 'c.on(\'error\',()=>{});c.setTimeout(500,()=>c.destroy())},2);setTimeout(()=>process.exit(1),30000);';
  const p = spawn('nsenter', [`--net=/run/netns/${outside}`, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.add(p);
  let out = '';
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  p.stdout!.on('data', (d) => {
    out += d;
    if (out.includes('ready')) ready();
  });
  const answered = new Promise<number>((resolve, reject) => p.on('exit', (code) => {
    children.delete(p);
    ready();
    if (code === 0) resolve(Number(out.replace('ready', '').trim()));
    else reject(new Error(`port ${port} never answered`));
  }));
  return { ready: readyP, answered };
}
