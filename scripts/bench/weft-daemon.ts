/**
 * A weft daemon for the bench, in a lab host namespace (nsenter --net only), its log in
 * <base>/daemon.log, registered for cleanup; stop() ends it by pid (SIGTERM, then SIGKILL).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SocketClient } from '../../test/helpers/api.js';
import { CLI } from '../../test/helpers/daemon.js';
import { waitSocket } from './engine.js';
import { children, teardowns, waitGone } from './lab.js';
import type { Backend } from './options.js';

export interface BenchDaemon { socket: string; api: SocketClient; pid: number; logFile: string; stop(): Promise<void> }

export async function startWeftDaemon(host: string, base: string, backend: Backend, nodeArgs: string[] = []): Promise<BenchDaemon> {
  const socket = path.join(base, 'run', 'weft.sock');
  const logFile = path.join(base, 'daemon.log');
  const logFd = fs.openSync(logFile, 'a');
  const daemon = spawn('nsenter', [`--net=/run/netns/${host}`, process.execPath, ...nodeArgs, CLI, 'daemon',
    '--root', path.join(base, 'root'), '--run-dir', path.join(base, 'run'),
    '--firewall-backend', backend, '--log-level', 'info', '--firewall-check-interval', '0'], { stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  children.add(daemon);
  const stop = async () => {
    teardowns.delete(stop);
    if (daemon.exitCode !== null || daemon.signalCode !== null) return;
    daemon.kill('SIGTERM');
    if (!(await waitGone(daemon.pid!, 10_000))) daemon.kill('SIGKILL');
  };
  teardowns.add(stop);
  const api = new SocketClient(socket);
  try {
    await waitSocket(api, 'weft daemon', daemon);
  } catch (err) {
    await stop();
    throw err;
  }
  return { socket, api, pid: daemon.pid!, logFile, stop };
}
