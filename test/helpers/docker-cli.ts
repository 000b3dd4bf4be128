/**
 * The real docker CLI (/usr/local/bin/docker) against a TestDaemon, with its config in a temp
 * dir so a user's config or contexts are never read.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestDaemon } from './daemon.js';

export const DOCKER = '/usr/local/bin/docker';
export const HAVE_DOCKER = fs.existsSync(DOCKER);

export interface Run { code: number; out: string; err: string }

export class DockerCli {
  readonly config = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-docker-cfg-'));

  constructor(private readonly d: TestDaemon) {}

  env(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, HOME: this.config, DOCKER_HOST: `unix://${this.d.socket}`, DOCKER_CONFIG: this.config };
  }

  run(args: string[], input = ''): Run {
    const r = spawnSync(DOCKER, args, { encoding: 'utf8', input, timeout: 30_000, env: this.env() });
    return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
  }

  /** As run, without blocking this process (whose event loop may serve what docker talks to). */
  runAsync(args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      const p = spawn(DOCKER, args, { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (b) => { out += b; });
      p.stderr.on('data', (b) => { err += b; });
      const t = setTimeout(() => p.kill('SIGKILL'), 30_000);
      p.on('close', (code) => { clearTimeout(t); resolve({ code: code ?? -1, out, err }); });
    });
  }

  /** A shell command line run with docker's environment (for pipes and `script` terminals). */
  sh(cmd: string, timeout = 30_000): Run {
    const r = spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8', timeout, env: { ...this.env(), DOCKER } });
    return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
  }

  cleanup(): void {
    fs.rmSync(this.config, { recursive: true, force: true });
  }
}
