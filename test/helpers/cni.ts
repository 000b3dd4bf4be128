/**
 * Runs weft's CNI plugins as a runtime does: a verb and the attachment in CNI_* variables,
 * the configuration on stdin, inside a lab "host" namespace (`ip netns exec`), with a
 * CNI_PATH directory holding weft-cni and weft-ipam executables; and the set-up the CNI
 * integration files share (CniLab): the host and container namespaces, the state
 * directory, a configuration builder, a web server in a container, the clean-up.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type LabNs, makeNs } from './lab.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface CniRun { code: number; out: unknown; stdout: string; stderr: string }

export interface Attach { command: string; containerId?: string; netns?: string; ifname?: string; args?: string }

/** A temp CNI_PATH directory with wrapper executables for both plugins. */
export function cniBinDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wc-bin-'));
  for (const [name, file] of [['weft-cni', 'main.js'], ['weft-ipam', 'ipam-main.js']]) {
    const script = `#!/bin/sh\nexec ${process.execPath} ${path.join(ROOT, 'dist/src/cni', file)} "$@"\n`;
    fs.writeFileSync(path.join(dir, name), script, { mode: 0o755 });
  }
  return dir;
}

/**
 * A temp CNI_PATH directory with the launchers (dist/bin). 'linked': symlinks, so a launcher
 * finds the Node plugin beside its real file when no daemon answers. 'daemon-only': copies,
 * which find no Node plugin, so every answer they give came from the daemon.
 */
export function launcherBinDir(mode: 'linked' | 'daemon-only'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-bin-'));
  for (const name of ['weft-cni', 'weft-ipam']) {
    const real = path.join(ROOT, 'dist/bin', name);
    if (mode === 'linked') fs.symlinkSync(real, path.join(dir, name));
    else fs.copyFileSync(real, path.join(dir, name));
  }
  return dir;
}

/** What a state directory holds, as text: its store files and the keys of its attachment records. */
export function stateText(dataDir: string): string {
  const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
  const att = path.join(dataDir, 'attachments');
  const keys = fs.existsSync(att) ? fs.readdirSync(att).map((n) => decodeURIComponent(n)) : [];
  return [read(path.join(dataDir, 'state.json')), read(path.join(dataDir, 'ipam', 'state.json')), ...keys].join('\n');
}

function envOf(a: Attach, cniPath: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, CNI_PATH: cniPath, ...extra };
  if (a.command) env.CNI_COMMAND = a.command;
  if (a.containerId) env.CNI_CONTAINERID = a.containerId;
  if (a.netns) env.CNI_NETNS = a.netns;
  if (a.ifname) env.CNI_IFNAME = a.ifname;
  if (a.args) env.CNI_ARGS = a.args;
  return env;
}

function parse(code: number, stdout: string, stderr: string): CniRun {
  let out: unknown;
  try {
    out = stdout.trim() ? JSON.parse(stdout) : undefined;
  } catch {
    out = undefined;
  }
  return { code, out, stdout, stderr };
}

export class CniHarness {
  constructor(readonly hostNs: string, readonly cniPath: string) {}

  run(plugin: string, a: Attach, conf: unknown, extraEnv: NodeJS.ProcessEnv = {}): CniRun {
    const input = typeof conf === 'string' ? conf : JSON.stringify(conf);
    const bin = plugin.startsWith('/') ? plugin : path.join(this.cniPath.split(':')[0], plugin);
    const r = spawnSync('ip', ['netns', 'exec', this.hostNs, bin], { env: envOf(a, this.cniPath, extraEnv), input, encoding: 'utf8' });
    return parse(r.status ?? -1, r.stdout, r.stderr);
  }

  /** The same, without blocking the test, so several run at once. */
  runAsync(plugin: string, a: Attach, conf: unknown, extraEnv: NodeJS.ProcessEnv = {}): Promise<CniRun> {
    const bin = path.join(this.cniPath.split(':')[0], plugin);
    return new Promise((resolve) => {
      const p = spawn('ip', ['netns', 'exec', this.hostNs, bin], { env: envOf(a, this.cniPath, extraEnv) });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (code) => resolve(parse(code ?? -1, stdout, stderr)));
      p.stdin.end(JSON.stringify(conf));
    });
  }
}

/** The CNI_* side of a call: verb, container id, its namespace and interface. */
export function at(command: string, id: string, ns?: LabNs, ifname = 'eth0'): Attach {
  return { command, containerId: id, ifname, ...(ns ? { netns: ns.path } : {}) };
}

export class CniLab {
  readonly host: LabNs;
  /** The state directory (dataDir) of every configuration conf() builds. */
  readonly data: string;
  private readonly spaces: LabNs[] = [];
  private readonly servers: ChildProcess[] = [];
  private readonly dirs: string[] = [];

  /** base: the network's own keys (name, bridge, ipam, ...), read at every conf(). */
  constructor(private readonly prefix: string, private readonly base: () => Record<string, unknown>) {
    this.host = makeNs(`${prefix}h`);
    this.data = this.tempDir('data');
  }

  container(): LabNs {
    return this.adopt(makeNs(`${this.prefix}c`));
  }

  /** Destroyed with the lab. */
  adopt(ns: LabNs): LabNs {
    this.spaces.push(ns);
    return ns;
  }

  conf(extra: Record<string, unknown> = {}, version = '1.1.0'): Record<string, unknown> {
    return {
      cniVersion: version, type: 'weft-cni', isGateway: true, isDefaultGateway: true, ipMasq: true, dataDir: this.data,
      ...this.base(), ...extra,
    };
  }

  /** A temporary directory removed with the lab. */
  tempDir(tag: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${this.prefix}-${tag}-`));
    this.dirs.push(dir);
    return dir;
  }

  hostLinks(): string[] {
    return this.host.sh('ip -o link show').split('\n').filter(Boolean).map((l) => l.split(': ')[1].split('@')[0]);
  }

  veths(): string[] {
    return this.hostLinks().filter((l) => l.startsWith('veth'));
  }

  /** busybox httpd on port 80 in ns, answering `text`. */
  serve(ns: LabNs, text: string): void {
    const root = this.tempDir('www');
    fs.writeFileSync(path.join(root, 'index.html'), `${text}\n`);
    this.servers.push(spawn('ip', ['netns', 'exec', ns.name, 'busybox', 'httpd', '-f', '-p', '80', '-h', root], { stdio: 'ignore' }));
  }

  /** The page at url fetched from ns, retried for a few seconds while the server starts; '' if it never answers. */
  get(ns: LabNs, url: string): string {
    for (let i = 0; i < 20; i++) {
      const r = ns.try(`timeout 3 busybox wget -qO- ${url}`);
      if (r.code === 0) return r.out;
      ns.try('sleep 0.2');
    }
    return '';
  }

  destroy(): void {
    for (const s of this.servers) s.kill();
    for (const s of this.spaces) s.destroy();
    this.host.destroy();
    for (const d of this.dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}
