/**
 * Healthchecks as dockerd runs them: Config.Healthcheck's command, exec'd in the running
 * container every Interval (the first one an Interval after start), killed after Timeout;
 * State.Health keeps the status, the failing streak and the last 5 results. Failures
 * within StartPeriod do not count while the status is still "starting". The state is in
 * the container record, so a daemon restart resumes the probes where they were.
 */
import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { outsideRequest } from '../util/request-context.js';
import type { ContainerEvents } from './container-events.js';
import type { ContainerRecord, HealthcheckConfig, HealthState } from './records.js';

const SECOND_NS = 1e9;
/** dockerd's defaults for what the client left at 0. */
const DEFAULT_INTERVAL_NS = 30 * SECOND_NS;
const DEFAULT_TIMEOUT_NS = 30 * SECOND_NS;
const DEFAULT_RETRIES = 3;
const MAX_LOG_ENTRIES = 5;
const MAX_OUTPUT_LEN = 4096;

export interface HealthDeps {
  exec(c: ContainerRecord, cmd: string[]): ChildProcess;
  save(c: ContainerRecord): Promise<void>;
  logger: Logger;
  /** Told of each change of status once it is saved: dockerd's `health_status: <status>` event. */
  events?: ContainerEvents;
}

interface Probe {
  timer: NodeJS.Timeout;
  child?: ChildProcess;
}

/** The command a Test runs, or undefined when it runs none (absent, empty, NONE). */
export function probeCommand(h: HealthcheckConfig | undefined): string[] | undefined {
  const t = h?.Test ?? [];
  if (t[0] === 'CMD' && t.length > 1) return t.slice(1);
  if (t[0] === 'CMD-SHELL' && t.length > 1) return ['/bin/sh', '-c', t.slice(1).join(' ')];
  return undefined;
}

export class HealthChecks {
  private readonly probes = new Map<string, Probe>();

  constructor(private readonly d: HealthDeps) {}

  /** At start (status "starting") or after a daemon restart (resume: the state as recorded). */
  start(c: ContainerRecord, resume = false): void {
    this.stop(c.id);
    const cmd = probeCommand(c.healthcheck);
    if (!cmd) return;
    if (!resume || !c.health) c.health = { Status: 'starting', FailingStreak: 0, Log: [] };
    const intervalMs = (c.healthcheck?.Interval || DEFAULT_INTERVAL_NS) / 1e6;
    // The probes outlive the request that started the container: their log lines are not its.
    const p: Probe = { timer: outsideRequest(() => setInterval(() => this.runProbe(c, cmd, p), intervalMs)) };
    p.timer.unref();
    this.probes.set(c.id, p);
  }

  /** The container stopped: no more probes, a running one is killed. */
  stop(id: string): void {
    const p = this.probes.get(id);
    if (!p) return;
    clearInterval(p.timer);
    p.child?.kill('SIGKILL');
    this.probes.delete(id);
  }

  private runProbe(c: ContainerRecord, cmd: string[], p: Probe): void {
    if (p.child || c.status !== 'running') return; // one probe at a time, as dockerd
    const start = new Date().toISOString();
    const timeoutNs = c.healthcheck?.Timeout || DEFAULT_TIMEOUT_NS;
    let child: ChildProcess;
    try {
      child = this.d.exec(c, cmd);
    } catch (err) {
      this.record(c, { Start: start, End: new Date().toISOString(), ExitCode: -1, Output: String(err) });
      return;
    }
    p.child = child;
    child.stdin?.end();
    let output = '';
    const take = (b: Buffer) => { if (output.length < MAX_OUTPUT_LEN) output = (output + b.toString('utf8')).slice(0, MAX_OUTPUT_LEN); };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutNs / 1e6);
    const done = (code: number) => {
      clearTimeout(timer);
      p.child = undefined;
      if (this.probes.get(c.id) !== p) return; // stopped meanwhile: the result is moot
      const end = new Date().toISOString();
      const result = timedOut
        ? { ExitCode: -1, Output: `Health check exceeded timeout (${timeoutNs / SECOND_NS}s)` }
        : { ExitCode: code, Output: output };
      this.record(c, { Start: start, End: end, ...result });
    };
    child.once('close', (code) => done(code ?? -1));
    child.once('error', (err) => { take(Buffer.from(err.message)); done(-1); });
  }

  private record(c: ContainerRecord, entry: HealthState['Log'][number]): void {
    const h = c.health ?? { Status: 'starting', FailingStreak: 0, Log: [] };
    const was = h.Status;
    c.health = h;
    h.Log = [...h.Log, entry].slice(-MAX_LOG_ENTRIES);
    if (entry.ExitCode === 0) {
      h.Status = 'healthy';
      h.FailingStreak = 0;
    } else if (!(h.Status === 'starting' && inStartPeriod(c))) {
      h.FailingStreak++;
      if (h.FailingStreak >= (c.healthcheck?.Retries || DEFAULT_RETRIES)) h.Status = 'unhealthy';
    }
    this.d.save(c).then(
      () => { if (h.Status !== was) this.d.events?.log(c, `health_status: ${h.Status}`); },
      (err) => this.d.logger.error({ err, container: c.name }, 'saving the health state failed'),
    );
  }
}

function inStartPeriod(c: ContainerRecord): boolean {
  const ns = c.healthcheck?.StartPeriod ?? 0;
  return Date.now() - Date.parse(c.startedAt) < ns / 1e6;
}
