/**
 * Exec instances: a command created against a running container, started once, whose
 * state (running, exit code, pid) clients poll. Kept in memory, as dockerd does.
 */
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import os from 'node:os';
import { Conflict, InvalidArgument, NotFound } from '../util/errors.js';
import type { ContainerEvents } from './container-events.js';
import type { ContainerRecord, ContainerService } from './containers.js';

export interface ExecOptions {
  cmd: string[];
  env: string[];
  workdir: string;
  attachStdin: boolean;
  /** The command runs on a terminal of its own. */
  tty: boolean;
  /** On a terminal, the stdin sequence that detaches the client (dockerd's DetachKeys). */
  detachKeys: string;
}

export interface ExecInstance extends ExecOptions {
  id: string;
  containerId: string;
  running: boolean;
  exitCode: number | null;
  pid: number;
}

/** Exit code of a process that could not be run, as a shell reports it. */
const CANNOT_RUN = 126;

export class ExecRegistry {
  private readonly execs = new Map<string, ExecInstance>();

  /** events: where exec_create, exec_start and exec_die are published (docker events). */
  constructor(private readonly containers: ContainerService, private readonly events?: ContainerEvents) {}

  create(c: ContainerRecord, o: ExecOptions): ExecInstance {
    const id = crypto.randomBytes(32).toString('hex');
    const e: ExecInstance = { id, containerId: c.id, ...o, running: false, exitCode: null, pid: 0 };
    this.execs.set(id, e);
    this.events?.log(c, `exec_create: ${o.cmd.join(' ')}`, { execID: id });
    return e;
  }

  find(id: string): ExecInstance {
    const e = this.execs.get(id);
    if (!e) throw new NotFound(`No such exec instance: ${id}`);
    return e;
  }

  /** Throws what start() would refuse with, so a hijacked start can answer before its 101. */
  checkStartable(e: ExecInstance): ContainerRecord {
    const c = this.containers.find(e.containerId);
    if (c.status !== 'running') throw new Conflict(`container ${c.id} is not running`);
    if (e.running || e.exitCode !== null) throw new Conflict(`exec ${e.id} has already been started`);
    return c;
  }

  /** Runs the command once; its container must still run. */
  start(e: ExecInstance): ChildProcess {
    const c = this.checkStartable(e);
    const child = this.containers.exec(c, e.cmd, { env: e.env, workdir: e.workdir || undefined, tty: e.tty });
    e.running = true;
    e.pid = child.pid ?? 0;
    this.events?.log(c, `exec_start: ${e.cmd.join(' ')}`, { execID: e.id });
    // EPIPE when the command exits before it read what the client sent: only that exec's loss.
    child.stdin?.on('error', () => undefined);
    child.on('close', (code, signal) => {
      e.running = false;
      e.exitCode = code ?? (signal ? 128 + os.constants.signals[signal] : CANNOT_RUN);
      this.events?.log(c, 'exec_die', { execID: e.id, exitCode: String(e.exitCode) });
    });
    child.on('error', () => {
      e.running = false;
      e.exitCode = CANNOT_RUN;
    });
    return child;
  }
}

const SIGNALS: { [k: string]: number } = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, TERM: 15, CONT: 18, STOP: 19 };
/** Accepted by name only. */
const NAMED_ONLY = ['ABRT', 'ALRM', 'WINCH', 'PIPE', 'TSTP'];

export function signalNumber(sig: string): number | undefined {
  return SIGNALS[sig.replace(/^SIG/, '')];
}

/** A kill signal as a client sends it ("9", "kill", "SIGTERM") as Node's name. */
export function normaliseSignal(s: string): NodeJS.Signals {
  if (/^\d+$/.test(s)) {
    const name = Object.entries(SIGNALS).find(([, n]) => n === Number(s))?.[0];
    if (!name) throw new InvalidArgument(`invalid signal: ${s}`);
    return `SIG${name}` as NodeJS.Signals;
  }
  const up = s.toUpperCase().replace(/^SIG/, '');
  if (!(up in SIGNALS) && !NAMED_ONLY.includes(up)) throw new InvalidArgument(`invalid signal: ${s}`);
  return `SIG${up}` as NodeJS.Signals;
}
