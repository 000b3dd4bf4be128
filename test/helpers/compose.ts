/**
 * docker-compose (Debian's 1.29.2) run in a project directory against a TestDaemon's socket.
 * Asynchronous, so the test process keeps draining the daemon's output pipes while compose runs;
 * killed (by its own pid) when it outlives the timeout, and the result says so.
 */
import { spawn } from 'node:child_process';
import type { TestDaemon } from './daemon.js';

export interface ComposeResult { code: number; stdout: string; stderr: string; timedOut: boolean }

export interface ComposeOptions {
  /** Milliseconds before compose is killed; 120 s unless told. */
  timeoutMs?: number;
  /** COMPOSE_PROJECT_NAME; compose derives it from the directory name when absent. */
  project?: string;
  /**
   * Extra environment for compose. COMPOSE_INTERACTIVE_NO_CLI is 1 unless given: `run` then attaches
   * through docker-py (dockerpty) instead of the docker CLI.
   */
  env?: NodeJS.ProcessEnv;
}

export function compose(daemon: TestDaemon, projectDir: string, args: string[], opts: ComposeOptions = {}): Promise<ComposeResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, COMPOSE_INTERACTIVE_NO_CLI: '1', ...opts.env, DOCKER_HOST: `unix://${daemon.socket}` };
  if (opts.project) env.COMPOSE_PROJECT_NAME = opts.project;
  return new Promise((resolve, reject) => {
    const child = spawn('docker-compose', ['--ansi', 'never', ...args], { cwd: projectDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs ?? 120_000);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, timedOut });
    });
  });
}
