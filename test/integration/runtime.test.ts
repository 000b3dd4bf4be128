/**
 * The bundled runtime against the real kernel: namespaces, overlay root, exit codes,
 * exec, adoption by a second runtime instance (a restarted daemon). Runs in a throwaway
 * network namespace; every process it starts is killed by pid at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBusyboxRootfs } from '../../src/runtime/image.js';
import { ProcessRuntime } from '../../src/runtime/runtime.js';
import type { ProcessSpec } from '../../src/contracts/runtime.js';
import { makeNs, type LabNs } from '../helpers/lab.js';

const logger = pino({ level: 'silent' });
let tmp: string;
let rootfs: string;
let ns: LabNs;
const started: number[] = [];

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-rt-'));
  rootfs = ensureBusyboxRootfs(path.join(tmp, 'images', 'busybox'));
  ns = makeNs('rt');
});

afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  ns?.destroy();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function spec(id: string, cmd: string[], extra: Partial<ProcessSpec> = {}): ProcessSpec {
  const dir = path.join(tmp, 'containers', id);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['hosts', 'resolv.conf', 'hostname']) fs.writeFileSync(path.join(dir, f), `# ${f} of ${id}\n`);
  return {
    id, name: id, rootfs, cmd, env: ['GREETING=hello world'], workdir: '/', hostname: `host-${id}`, netns: ns.path,
    etcFiles: { hosts: path.join(dir, 'hosts'), resolvConf: path.join(dir, 'resolv.conf'), hostname: path.join(dir, 'hostname') },
    dir, ...extra,
  };
}

function exitWatcher(rt: ProcessRuntime): (id: string) => Promise<number> {
  const codes = new Map<string, number>();
  const waiters = new Map<string, (c: number) => void>();
  rt.onExit((id, code) => {
    codes.set(id, code);
    waiters.get(id)?.(code);
  });
  return (id) => (codes.has(id) ? Promise.resolve(codes.get(id)!) : new Promise((r) => waiters.set(id, r)));
}

async function run(rt: ProcessRuntime, s: ProcessSpec, cmd: string[]): Promise<{ code: number; out: string }> {
  const p = rt.exec(s, cmd, {});
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  p.stderr!.on('data', (d) => (out += d));
  const code = await new Promise<number>((r) => p.on('close', (c) => r(c ?? -1)));
  return { code, out };
}

describe('ProcessRuntime', () => {
  const rt = new ProcessRuntime({ logger });
  const exited = exitWatcher(rt);

  it('runs a command with its env, argv intact, and reports exit codes', async () => {
    const a = spec('echo', ['sh', '-c', 'echo "$GREETING"; printf "%s|" "$@"', 'x', 'a b', "c'd"]);
    started.push((await rt.start(a)).pid);
    expect(await exited('echo')).toBe(0);
    expect(fs.readFileSync(rt.logFiles(a).stdout, 'utf8')).toBe("hello world\na b|c'd|");
    const b = spec('three', ['sh', '-c', 'echo oops >&2; exit 3']);
    started.push((await rt.start(b)).pid);
    expect(await exited('three')).toBe(3);
    expect(rt.exitCode(b)).toBe(3);
    expect(fs.readFileSync(rt.logFiles(b).stderr, 'utf8')).toBe('oops\n');
  });

  it('isolates pid, uts, mount and network; exec enters all of them', async () => {
    const s = spec('sleeper', ['sleep', '1000']);
    const st = await rt.start(s);
    started.push(st.pid);
    expect((await run(rt, s, ['hostname'])).out.trim()).toBe('host-sleeper');
    expect((await run(rt, s, ['cat', '/proc/1/cmdline'])).out).toBe('sleep\u00001000\u0000');
    expect((await run(rt, s, ['cat', '/etc/hosts'])).out).toBe('# hosts of sleeper\n');
    const links = (await run(rt, s, ['cat', '/proc/net/dev'])).out;
    expect(links).toMatch(/\blo:/);
    expect(links).not.toMatch(/\beth0:/); // the host's interfaces are not visible
    expect((await run(rt, s, ['sh', '-c', 'exit 7'])).code).toBe(7);
    // The container writes into its own upper layer, never into the shared image.
    expect((await run(rt, s, ['sh', '-c', 'echo x > /bin/written'])).code).toBe(0);
    expect(fs.existsSync(path.join(rootfs, 'bin', 'written'))).toBe(false);
    // Nothing of the container is mounted in the host's mount table.
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(tmp);
    // sleep as pid 1 ignores SIGTERM (no handler), so stop escalates to SIGKILL: 137.
    await rt.stop(s, 1);
    expect(await exited('sleeper')).toBe(137);
    expect(fs.existsSync(`/proc/${st.pid}`)).toBe(false);
  });

  it('the command gets default signal dispositions: a SIGINT trap in the container fires', async () => {
    const s = spec('trap', ['sh', '-c', 'trap "echo got-int; exit 42" INT; while :; do sleep 0.1; done']);
    const st = await rt.start(s);
    started.push(st.pid);
    const sigIgn = BigInt(`0x${/^SigIgn:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${st.pid}/status`, 'utf8'))![1]}`);
    expect(sigIgn & 2n).toBe(0n); // bit 1 = SIGINT (busybox sh itself chooses to ignore SIGQUIT)
    await new Promise((r) => setTimeout(r, 200)); // let sh install its trap
    await rt.kill(s, 'SIGINT');
    expect(await exited('trap')).toBe(42);
    expect(fs.readFileSync(rt.logFiles(s).stdout, 'utf8')).toBe('got-int\n');
  });

  it('a failed setup rejects start() with the error and reports no exit; the workdir stays inside the root', async () => {
    const codes: string[] = [];
    const rt3 = new ProcessRuntime({ logger });
    rt3.onExit((id) => codes.push(id));
    await expect(rt3.start(spec('badns', ['true'], { netns: '/run/netns/weft-t-rt-no-such-ns' }))).rejects.toThrow(/cannot open/);
    await expect(rt3.start(spec('badroot', ['true'], { rootfs: path.join(tmp, 'no-such-rootfs') }))).rejects.toThrow(/failed to start/);
    const w = spec('wd', ['pwd'], { workdir: '/../../../../escape' });
    await rt3.start(w);
    await new Promise((r) => setTimeout(r, 500));
    expect(fs.readFileSync(rt3.logFiles(w).stdout, 'utf8')).toBe('/escape\n');
    expect(fs.existsSync(path.join(tmp, 'escape'))).toBe(false);
    expect(codes).toEqual(['wd']);
  });

  it('a second runtime (a restarted daemon) adopts a running container and sees its exit', async () => {
    const s = spec('adoptee', ['sleep', '1000']);
    const st = await rt.start(s);
    started.push(st.pid);
    const rt2 = new ProcessRuntime({ logger });
    const exited2 = exitWatcher(rt2);
    const adopted = await rt2.adopt(s);
    expect(adopted?.pid).toBe(st.pid);
    expect((await run(rt2, s, ['hostname'])).out.trim()).toBe('host-adoptee');
    await rt2.kill(s, 'SIGKILL');
    expect(await exited2('adoptee')).toBe(137);
    expect(await rt2.adopt(s)).toBeUndefined();
    await rt2.remove(s);
    expect(fs.existsSync(s.dir)).toBe(false);
  });
});
