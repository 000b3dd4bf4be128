/**
 * Runs weft's CNI plugins as a runtime does: a verb and the attachment in CNI_* variables,
 * the configuration on stdin, inside a lab "host" namespace (`ip netns exec`), with a
 * CNI_PATH directory holding weft-cni and weft-ipam executables.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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
