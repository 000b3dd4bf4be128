/**
 * The bundled minimal runtime. Every container is two processes deep:
 *
 *   shim (sh)        - own session, so it survives the daemon; runs (via nsenter --net and
 *    │                 unshare) in the container's net/uts/ipc/mount namespaces but not its
 *    │                 pid namespace; waits for init and writes <dir>/exitcode, so an exit
 *    │                 while the daemon is down is kept
 *    └ init (pid 1)  - the shim's first child, so pid 1 of the new pid namespace; mounts
 *                      the overlay root, /proc, /dev and the /etc files, then execs the
 *                      command chrooted (unshare --root --wd)
 *
 * PidMode/UTSMode "host" leave that namespace out: init is then not pid 1, and what else
 * runs in the container's root is killed when it exits.
 * The shim being init's parent is what gives a true exit status (137 after SIGKILL);
 * `unshare --fork` cannot forward a SIGKILL death. Mounts are made in the container's own
 * mount namespace with private propagation, so nothing appears in the host's mount table
 * and nothing needs unmounting. util-linux does the namespace work because a
 * multi-threaded Node process cannot unshare a pid namespace for a child itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ExecOptions, ProcessSpec, ProcessState, Runtime } from '../contracts/runtime.js';
import { groupsPrefix } from './groups.js';
import { initPrefix } from './init.js';
import { prepareRoot } from './rootfs.js';
import { removeDirInBackground } from './remove-dir.js';
import { closeStdin, createStdin, onTerminal, openStdin, resizeTerminal, stdinFifo } from './stdin.js';
import { isRunning, killPids, readPid, rootedPids, strayPids } from './strays.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Starts init, waits for it, records its status. Arguments: dir stdin-mode (stdin.ts)
 * init-script init-args...
 * Builtins only after init ends: the shim's children belong to the new pid namespace,
 * which accepts no process once its init is gone, so no mv for an atomic rename; the
 * reader treats an empty file as not yet written.
 */
const SHIM = `
dir=$1 stdin=$2 init=$3; shift 3
in=/dev/null
case $stdin in
open) exec 3<>"$dir/stdin"; in="$dir/stdin" ;;
once) in="$dir/stdin" ;;
esac
/bin/sh -c "$init" weft-init "$@" <"$in" 3<&- &
echo $! > "$dir/init.pid"
exec 2>/dev/null # the shell's own "Killed" notices must not reach the container's log
wait $!
echo $? > "$dir/exitcode"
`;

/**
 * pid 1 of the container before exec. Arguments: dir rootfs hostname (empty in the host's
 * UTS namespace: left alone) netsetup (an nft script for the container's namespace, or
 * empty), then NAME=VALUE entries and the command, both for `env -i`. Every directory and
 * mount target was prepared by the daemon (prepareRoot), and the mounts come from two fstab
 * files in one `mount -a` each: a few processes instead of one per mount, which is most of
 * a container's start time.
 */
const INIT = `
set -e
dir=$1 rootfs=$2 hn=$3 netsetup=$4; shift 4
m="$dir/merged"
if ! mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$dir/upper,workdir=$dir/work" "$m" 2>/dev/null; then
  echo "weft: overlay mount failed; using the rootfs read-only" >&2
  mount --bind "$rootfs" "$m"; mount -o remount,bind,ro "$m"
fi
mount -a -T "$dir/fstab"
mount -a -T "$dir/fstab.optional" 2>/dev/null || true
if [ -n "$hn" ]; then echo "$hn" > /proc/sys/kernel/hostname; fi
if [ -n "$netsetup" ]; then printf '%s' "$netsetup" | nft -f -; fi
: > "$dir/started"
# The shim started us as an async list, which sh runs with SIGINT and SIGQUIT ignored;
# the container's command must not inherit that.
exec /usr/bin/env -i --default-signal=INT,QUIT -- "$@"
`;

interface Watched {
  pid: number;
  done: boolean;
  /** Settles once start() has resolved or rejected: no exit is reported before that. */
  started: Promise<void>;
  /** The daemon's end of the main process's stdin, while it is open. */
  stdin?: net.Socket;
}

export class ProcessRuntime implements Runtime {
  private exitCb: (id: string, code: number) => void = () => undefined;
  private readonly watched = new Map<string, Watched>();

  constructor(private readonly o: { logger: Logger }) {}

  onExit(cb: (id: string, exitCode: number) => void): void {
    this.exitCb = cb;
  }

  async start(spec: ProcessSpec): Promise<ProcessState> {
    fs.mkdirSync(spec.dir, { recursive: true, mode: 0o700 });
    for (const f of ['exitcode', 'pid', 'init.pid', 'started']) fs.rmSync(path.join(spec.dir, f), { force: true });
    prepareRoot(spec, absWorkdir(spec.workdir));
    const argv = shimArgv(spec);
    const logs = this.logFiles(spec);
    const out = fs.openSync(logs.stdout, 'a');
    const err = fs.openSync(logs.stderr, 'a');
    const startedAt = new Date().toISOString();
    let shim: ChildProcess;
    const stdin = spec.stdin && spec.stdin !== 'none' ? createStdin(spec.dir) : undefined;
    try {
      shim = spawn(argv[0], argv.slice(1), {
        detached: true,
        stdio: ['ignore', out, err],
        env: { PATH: DEFAULT_PATH },
      });
    } finally {
      fs.closeSync(out);
      fs.closeSync(err);
    }
    shim.unref();
    let settled!: () => void;
    const w: Watched = { pid: 0, done: false, started: new Promise<void>((r) => (settled = r)), stdin };
    this.watched.set(spec.id, w);
    const exited = new Promise<void>((resolve) => {
      shim.once('exit', () => resolve());
      shim.once('error', (err) => {
        this.o.logger.error({ err, container: spec.id }, 'spawning the container shim failed');
        resolve();
      });
    });
    void exited.then(() => this.reportExit(spec, w));

    let pid: number;
    try {
      pid = await this.findInit(spec, exited);
    } catch (err) {
      // A start that fails reports no exit; nothing of it may keep running either.
      w.done = true;
      this.watched.delete(spec.id);
      stdin?.destroy();
      if (shim.pid) {
        try {
          process.kill(-shim.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      throw err;
    } finally {
      // The caller records "running" right after start() resolves; an exit (even an
      // immediate one) is reported only after that, from a later turn of the loop.
      setImmediate(settled);
    }
    w.pid = pid;
    fs.writeFileSync(path.join(spec.dir, 'pid'), `${pid}\n`);
    fs.writeFileSync(path.join(spec.dir, 'state.json'), JSON.stringify({ pid, startedAt, startTime: startTime(pid) }));
    return { pid, startedAt };
  }

  async adopt(spec: ProcessSpec): Promise<ProcessState | undefined> {
    let st: { pid: number; startedAt: string; startTime?: string };
    try {
      st = JSON.parse(fs.readFileSync(path.join(spec.dir, 'state.json'), 'utf8'));
    } catch {
      return undefined;
    }
    if (fs.existsSync(path.join(spec.dir, 'exitcode')) || !alive(st.pid, st.startTime)) return undefined;
    // A stdin that stays open is held by the shim too: the daemon takes its end again.
    const fifo = stdinFifo(spec.dir);
    const stdin = spec.stdin === 'open' && fs.existsSync(fifo) ? openStdin(fifo) : undefined;
    const w: Watched = { pid: st.pid, done: false, started: Promise.resolve(), stdin };
    this.watched.set(spec.id, w);
    const timer = setInterval(() => {
      if (alive(st.pid, st.startTime)) return;
      clearInterval(timer);
      void this.reportExit(spec, w);
    }, 200);
    timer.unref();
    return { pid: st.pid, startedAt: st.startedAt };
  }

  exitCode(spec: ProcessSpec): number | undefined {
    try {
      const text = fs.readFileSync(path.join(spec.dir, 'exitcode'), 'utf8').trim();
      const n = Number(text);
      return text !== '' && Number.isInteger(n) ? n : undefined;
    } catch {
      return undefined;
    }
  }

  async kill(spec: ProcessSpec, signal: NodeJS.Signals): Promise<void> {
    const w = this.watched.get(spec.id);
    if (!w || w.done || !w.pid) return;
    try {
      process.kill(w.pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  async stop(spec: ProcessSpec, timeoutSec: number, onSignal?: (signal: NodeJS.Signals) => void): Promise<void> {
    const w = this.watched.get(spec.id);
    if (!w || w.done) return;
    for (const [signal, ms] of [['SIGTERM', timeoutSec * 1000], ['SIGKILL', 10_000]] as const) {
      await this.kill(spec, signal).then(() => onSignal?.(signal));
      if (await this.waitDone(w, ms)) return;
    }
  }

  exec(spec: ProcessSpec, cmd: string[], opts: ExecOptions): ChildProcess {
    const w = this.watched.get(spec.id);
    if (!w || w.done || !w.pid) throw new Error(`container ${spec.id} is not running`);
    const env = envObject([...withDefaults(spec.env, hostnameOf(spec)), ...(opts.env ?? [])]);
    const wd = absWorkdir(opts.workdir || spec.workdir);
    // env reaches the command through nsenter's own environment, so the container needs
    // no env binary; nsenter forks into the pid namespace and chroots into its root.
    const enter = [`--target=${rootedPid(w.pid) ?? w.pid}`, '--mount', '--uts', '--ipc', '--net', '--pid', '--root', `--wdns=${wd}`];
    const argv = [...groupsPrefix(spec), '/usr/bin/nsenter', ...enter, '--', ...cmd];
    const [file, ...args] = opts.tty ? onTerminal(argv) : argv;
    return spawn(file, args, {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  stdin(spec: ProcessSpec): net.Socket | undefined {
    const s = this.watched.get(spec.id)?.stdin;
    return s && !s.destroyed ? s : undefined;
  }

  closeStdin(spec: ProcessSpec): void {
    const w = this.watched.get(spec.id);
    if (w?.stdin) closeStdin(w.stdin);
  }

  async resize(spec: ProcessSpec, rows: number, cols: number): Promise<void> {
    const w = this.watched.get(spec.id);
    const pid = spec.tty && w && !w.done ? rootedPid(w.pid) : undefined;
    if (pid) await resizeTerminal(pid, rows, cols);
  }

  logFiles(spec: ProcessSpec): { stdout: string; stderr: string } {
    return { stdout: path.join(spec.dir, 'stdout.log'), stderr: path.join(spec.dir, 'stderr.log') };
  }

  async killStrays(dir: string): Promise<number[]> {
    const pids = strayPids(dir);
    await killPids(pids);
    return pids;
  }

  async remove(spec: ProcessSpec): Promise<void> {
    this.watched.delete(spec.id);
    removeDirInBackground(spec.dir, (err) => this.o.logger.warn({ err, container: spec.id }, 'removing the container\'s directory failed'));
  }

  /** The shim records init's pid; init is running once it has chrooted. */
  private async findInit(spec: ProcessSpec, exited: Promise<void>): Promise<number> {
    let gone = false;
    void exited.then(() => (gone = true));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const init = readPid(path.join(spec.dir, 'init.pid'));
      // Before the chroot pid 1 is still setting up its mounts: an exec or a signal then
      // would land in a half-made container.
      if (init && rootedPid(init)) return init;
      if (gone) {
        // Exited before we saw it run: fine if it got as far as the command (the exit is
        // reported anyway); a failure of nsenter or of the setup is a failed start.
        if (init && fs.existsSync(path.join(spec.dir, 'started'))) return init;
        break;
      }
      await sleep(2);
    }
    const stderr = readTail(this.logFiles(spec).stderr);
    throw new Error(`container process ${gone ? 'failed to start' : 'did not start within 10 s'}${stderr ? `: ${stderr}` : ''}`);
  }

  private async reportExit(spec: ProcessSpec, w: Watched): Promise<void> {
    await w.started;
    if (w.done) return;
    // The shim writes the code right after init ends; give it a moment.
    let code: number | undefined;
    for (let i = 0; i < 100 && (code = this.exitCode(spec)) === undefined; i++) await sleep(20);
    if (w.done) return;
    // runc too signals all of a container's processes when it has no pid namespace to end them.
    if (spec.hostPid) await killPids(rootedPids(spec.dir));
    if (w.done) return;
    w.done = true;
    w.stdin?.destroy();
    this.o.logger.debug({ container: spec.id, code }, 'container exited');
    this.exitCb(spec.id, code ?? 255);
  }

  private async waitDone(w: Watched, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!w.done && Date.now() < deadline) await sleep(20);
    return w.done;
  }
}

function shimArgv(spec: ProcessSpec): string[] {
  const env = withDefaults(spec.env, hostnameOf(spec));
  const root = ['/usr/bin/unshare', `--root=${spec.dir}/merged`, `--wd=${absWorkdir(spec.workdir)}`, '--'];
  const command = [...groupsPrefix(spec), ...root, ...initPrefix(spec), ...spec.cmd];
  const namespaces = [...(spec.hostPid ? [] : ['--pid']), ...(spec.hostUts ? [] : ['--uts']), '--ipc', '--mount'];
  const argv = [
    '/usr/bin/unshare', ...namespaces, '--propagation', 'private',
    '/bin/sh', '-c', SHIM, 'weft-shim', spec.dir, spec.stdin ?? 'none', INIT,
    spec.dir, spec.rootfs, spec.hostUts ? '' : spec.hostname, spec.netSetup ?? '', ...env,
    // After the env entries: what `env -i` runs — unshare again, only to chroot and chdir
    // (on a terminal of its own with Tty).
    ...(spec.tty ? onTerminal(command) : command),
  ];
  return spec.netns === 'host' ? argv : ['/usr/bin/nsenter', `--net=${spec.netns}`, '--', ...argv];
}

/** In the host's UTS namespace the container's hostname is the host's. */
function hostnameOf(spec: ProcessSpec): string {
  return spec.hostUts ? os.hostname() : spec.hostname;
}

/** Absolute and free of "..": the setup creates it as "$merged$wd" on the host side. */
function absWorkdir(wd: string | undefined): string {
  return path.posix.resolve('/', wd || '/');
}

function withDefaults(env: string[], hostname: string): string[] {
  // Only NAME=value entries: anything else would end env(1)'s assignments early.
  const out = env.filter((e) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(e));
  if (!out.some((e) => e.startsWith('PATH='))) out.unshift(`PATH=${DEFAULT_PATH}`);
  if (!out.some((e) => e.startsWith('HOSTNAME='))) out.push(`HOSTNAME=${hostname}`);
  if (!out.some((e) => e.startsWith('HOME='))) out.push('HOME=/root');
  return out;
}

function envObject(env: string[]): NodeJS.ProcessEnv {
  const o: NodeJS.ProcessEnv = {};
  for (const e of env) {
    const i = e.indexOf('=');
    if (i > 0) o[e.slice(0, i)] = e.slice(i + 1);
  }
  return o;
}

/** Field 22 of /proc/pid/stat: distinguishes our process from a later one reusing its pid. */
function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(pid: number, expectedStart: string | undefined): boolean {
  const st = startTime(pid);
  if (st === undefined || !isRunning(pid)) return false;
  return expectedStart === undefined || st === expectedStart;
}

/**
 * The container's process that is inside its root: init itself, or on a terminal init's
 * child (init is then `script`, which stays outside to hold the pty). Exec enters there.
 */
function rootedPid(init: number): number | undefined {
  const inRoot = (pid: number) => { const r = rootOf(pid); return r !== undefined && r !== '/'; };
  if (inRoot(init)) return init;
  let children: string[] = [];
  try {
    children = fs.readFileSync(`/proc/${init}/task/${init}/children`, 'utf8').trim().split(/\s+/);
  } catch {
    return undefined;
  }
  return children.map(Number).find((pid) => pid > 0 && inRoot(pid));
}

function rootOf(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/root`);
  } catch {
    return undefined;
  }
}

function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
