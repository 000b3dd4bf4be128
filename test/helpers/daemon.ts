/**
 * A real weft daemon inside a throwaway "host" namespace, for integration tests. The
 * daemon joins the namespace with nsenter --net only (not a new mount namespace), so its
 * sandbox mounts survive a kill -9 like on a real host. stop() and destroy() clean up
 * everything: processes started (by pid), namespace mounts under the run dir, the host
 * namespace, temp dirs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SocketClient } from './api.js';
import { makeNs, type LabNs } from './lab.js';

/** The repository root, whether this file runs from test/helpers (vitest) or dist/test/helpers (scripts). */
export const REPO = findRepo(path.dirname(fileURLToPath(import.meta.url)));

function findRepo(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) throw new Error(`no package.json above ${dir}`);
  }
}
export const CLI = path.join(REPO, 'dist/src/cli/main.js');

export interface ApiReply { status: number; body: any; text: string; raw: Buffer; headers: http.IncomingHttpHeaders }

export class TestDaemon {
  readonly host: LabNs;
  readonly root: string;
  readonly runDir: string;
  readonly socket: string;
  /** The CLI's API client on this daemon's socket (paths as given): throws on error statuses. */
  readonly client: SocketClient;
  child?: ChildProcess;
  log = '';
  /** Extra environment for the daemon process (e.g. WEFT_FAILPOINTS), read at each start(). */
  env: NodeJS.ProcessEnv = {};
  /** Command words the daemon's nsenter runs under (e.g. a private mount namespace), read at each start(). */
  wrapper: string[] = [];

  constructor(readonly backend: 'iptables' | 'nftables', host?: LabNs, readonly extraArgs: string[] = []) {
    this.host = host ?? makeNs('host');
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-test-'));
    this.root = path.join(base, 'root');
    this.runDir = path.join(base, 'run');
    this.socket = path.join(this.runDir, 'weft.sock');
    this.client = new SocketClient(this.socket);
  }

  async start(): Promise<void> {
    fs.rmSync(this.socket, { force: true });
    const argv = [...this.wrapper, 'nsenter', `--net=${this.host.path}`, process.execPath, CLI, 'daemon',
      '--root', this.root, '--run-dir', this.runDir, '--firewall-backend', this.backend, '--log-level', 'warn', ...this.extraArgs];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } });
    this.child = child;
    child.stdout!.on('data', (d) => { this.log += d; });
    child.stderr!.on('data', (d) => { this.log += d; });
    // Generous: a restart after a crash reconciles everything first, and a loaded machine is slow; the hook timeout is 60 s.
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`daemon exited ${child.exitCode}:\n${this.log}`);
      if (fs.existsSync(this.socket) && await this.client.ping()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`daemon did not come up:\n${this.log}`);
  }

  /** kill -9, as a crash would. */
  async crash(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  }

  /**
   * Any request, any answer: status, headers and body as the daemon sent them, errors
   * included (tests assert dockerd's error format, which the client turns into exceptions).
   */
  api(method: string, urlPath: string, body?: unknown, raw?: string): Promise<ApiReply> {
    return new Promise((resolve, reject) => {
      const data = raw ?? (body === undefined ? undefined : JSON.stringify(body));
      const req = http.request({ socketPath: this.socket, method, path: urlPath,
        headers: data !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const text = raw.toString('utf8');
          let parsed: any;
          try { parsed = text && res.headers['content-type'] === 'application/json' ? JSON.parse(text) : text; } catch { parsed = text; }
          resolve({ status: res.statusCode ?? 0, body: parsed, text, raw, headers: res.headers });
        });
      });
      req.on('error', reject);
      if (data !== undefined) req.write(data);
      req.end();
    });
  }

  /** Run the weft CLI against this daemon. */
  cli(args: string[], opts: { input?: string } = {}): { code: number; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [CLI, '-H', `unix://${this.socket}`, ...args],
      { encoding: 'utf8', input: opts.input ?? '', timeout: 60_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** Stop the daemon, kill what is left of its containers, unmount and remove everything. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    const cdir = path.join(this.root, 'containers');
    for (const id of fs.existsSync(cdir) ? fs.readdirSync(cdir) : []) {
      for (const f of ['pid', 'init.pid']) {
        const pid = Number(fs.readFileSync(path.join(cdir, id, f), { encoding: 'utf8', flag: 'a+' }) || 0);
        if (pid > 1) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
    // Sandboxes, and the daemon's pool of namespaces made ahead of need (left mounted by a crash).
    for (const nsdir of [path.join(this.runDir, 'netns'), path.join(this.runDir, 'netns-pool')]) {
      for (const f of fs.existsSync(nsdir) ? fs.readdirSync(nsdir) : []) spawnSync('umount', ['-l', path.join(nsdir, f)]);
    }
    this.host.destroy();
    fs.rmSync(path.dirname(this.root), { recursive: true, force: true });
  }
}

export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
