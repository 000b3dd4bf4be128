/**
 * The kill -9 campaign on one firewall backend: the plan's operations against a TestDaemon,
 * the daemon killed with SIGKILL at each kill point (from outside while the step's requests
 * are in flight, or from inside at a random failpoint), restarted, and checked against the
 * invariants after every restart and at the end (then again once everything is removed).
 * A restart that fails is counted, never retried away; the next attempt goes on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDaemon } from '../../test/helpers/daemon.js';
import { checkInvariants, violationKind, type InvariantOptions } from '../../test/helpers/invariants.js';
import { processes } from '../../test/helpers/kernel-view.js';
import { makeNs, type LabNs } from '../../test/helpers/lab.js';
import { OpRunner, replyOf } from './ops.js';
import { AUTO_NETS, CONTAINERS, describeOp, makePlan, SUBNET_NETS, type Kill, type Plan } from './plan.js';

export interface CampaignOptions { seed: number; ops: number; kills: number; backend: 'nftables' | 'iptables'; findings?: string }

export interface KillPoint { step: number; mode: 'outside' | 'failpoint' | 'startup-failpoint'; point?: string; delayMs?: number }

export interface Summary {
  backend: string; seed: number; ops: number; steps: number;
  killPoints: KillPoint[];
  kills: Record<string, number>;
  violations: Record<string, number>;
  /** The first violation of each kind, with where it was seen. */
  samples: Record<string, { violation: string; step: number; after: string }>;
  restartFailures: { step: number; log: string }[];
  unexpectedExits: { step: number; log: string }[];
  statuses: Record<string, number>;
  serverErrors: Record<string, number>;
  failpointsReached: string[];
  /** Where the campaign's time went (ms). */
  timeMs: { steps: number; restarts: number; checks: number };
}

const HOST_IP = '10.254.0.1';
const STEP_TIMEOUT_MS = 60_000;

export async function runCampaign(o: CampaignOptions): Promise<Summary> {
  const plan = makePlan(o.seed, o.ops, o.kills);
  const c = new Campaign(o, plan);
  try {
    await c.run();
  } finally {
    await c.destroy();
  }
  return c.summary;
}

class Campaign {
  readonly d: TestDaemon;
  readonly nb: LabNs;
  readonly runner: OpRunner;
  readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chs-chaos-'));
  readonly fpLog = path.join(this.tmp, 'failpoints.log');
  readonly fpTrace = path.join(this.tmp, 'failpoints.trace');
  readonly summary: Summary;
  private readonly seen = new Set<string>();
  private lastKill = 'none yet';
  /** Steps done so far and the failpoint hits they caused (to pace the failpoint chance). */
  private stepsDone = 0;
  /** The next planned kill. */
  private k = 0;
  private fpLines = 0;

  constructor(readonly o: CampaignOptions, readonly plan: Plan) {
    this.d = new TestDaemon(o.backend);
    this.nb = makeNs('chs-nb');
    this.d.host.sh(`ip link add chsout type veth peer name eth0 netns ${this.nb.name} && ip link set chsout up && ip addr add ${HOST_IP}/24 dev chsout`);
    this.nb.sh('ip addr add 10.254.0.2/24 dev eth0 && ip link set eth0 up');
    this.runner = new OpRunner(this.d);
    this.summary = { backend: o.backend, seed: o.seed, ops: plan.opCount, steps: plan.steps.length, killPoints: [], kills: {},
      violations: {}, samples: {}, restartFailures: [], unexpectedExits: [], statuses: {}, serverErrors: {}, failpointsReached: [], timeMs: { steps: 0, restarts: 0, checks: 0 } };
  }

  async run(): Promise<void> {
    await this.restart(-1, this.failpointSteps(-1));
    for (let i = 0; i < this.plan.steps.length; i++) {
      const kill = this.plan.kills[this.k]?.step === i ? this.plan.kills[this.k++] : undefined;
      const t = Date.now();
      await this.step(i, kill);
      this.summary.timeMs.steps += Date.now() - t;
      if (this.dead()) await this.afterDeath(i, kill);
    }
    await this.check(this.plan.steps.length, 'end of the operations');
    await this.removeEverything();
    await this.check(this.plan.steps.length + 1, `everything removed (${this.runner.portsSeen.size} ports once published)`);
    this.summary.failpointsReached = [...new Set(readLines(this.fpTrace))].sort();
    this.tally();
  }

  /** When the next planned kill is an inside one: the steps left until it. */
  private failpointSteps(i: number): number | undefined {
    const next = this.plan.kills[this.k];
    return next?.mode === 'failpoint' ? next.step - i : undefined;
  }

  private dead(): boolean {
    const c = this.d.child;
    return !c || c.exitCode !== null || c.signalCode !== null;
  }

  private async step(i: number, kill: Kill | undefined): Promise<void> {
    const op = this.plan.steps[i];
    const outcomesBefore = this.runner.outcomes.length;
    const work = this.runner.run(op);
    if (kill && !this.dead()) await sleep(kill.delayMs);
    if (kill && !this.dead()) {
      await this.d.crash();
      this.summary.killPoints.push({ step: i, mode: 'outside', delayMs: kill.delayMs });
      this.lastKill = `outside kill ${kill.delayMs} ms into step ${i} (${describeOp(op)})`;
    }
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((r) => { timer = setTimeout(() => r('hung'), STEP_TIMEOUT_MS); });
    if ((await Promise.race([work, hung])) === 'hung') {
      this.record(i, [`request-hung: step ${i} (${describeOp(op)}) got no answer in ${STEP_TIMEOUT_MS} ms`]);
      await this.d.crash();
      await work;
    }
    clearTimeout(timer);
    // A cut connection comes before the child's exit event: wait for it, so the kill counts for this step.
    if (this.runner.outcomes.slice(outcomesBefore).some((x) => x.status === 'cut')) {
      for (let t = 0; t < 60 && !this.dead(); t++) await sleep(50);
    }
    this.stepsDone++;
  }

  /** The daemon is gone: say how, bring it back for the next segment, check the invariants. */
  private async afterDeath(i: number, kill: Kill | undefined): Promise<void> {
    const point = this.newFailpointHit();
    if (point) {
      // A failpoint that fired just as the outside kill went out: one kill point, the failpoint's.
      if (kill && this.summary.killPoints.at(-1)?.step === i) this.summary.killPoints.pop();
      this.summary.killPoints.push({ step: i, mode: 'failpoint', point });
      this.lastKill = `failpoint ${point} in step ${i} (${describeOp(this.plan.steps[i])})`;
      // The planned inside kill of this segment came early: the next segment begins here.
      if (!kill && this.plan.kills[this.k]?.mode === 'failpoint') this.k++;
    } else if (!kill || this.summary.killPoints.at(-1)?.step !== i) {
      this.summary.unexpectedExits.push({ step: i, log: this.d.log.slice(-3000) });
      this.record(i, [`daemon-exited: during step ${i} (${describeOp(this.plan.steps[i])}) with no kill: ${this.d.log.slice(-400)}`]);
      this.lastKill = `unexpected exit in step ${i}`;
    }
    await this.restart(i, this.failpointSteps(i));
    await this.check(i, this.lastKill);
  }

  private newFailpointHit(): string | undefined {
    const lines = readLines(this.fpLog);
    const hit = lines.length > this.fpLines ? lines.at(-1) : undefined;
    this.fpLines = lines.length;
    return hit;
  }

  /**
   * Start the daemon; with failpoints on (a chance per hit paced so a kill falls within the
   * next `failpointSteps` steps) when the next kill is an inside one. A start that fails by
   * a failpoint is a kill point; one that fails otherwise is a restart failure.
   */
  private async restart(i: number, failpointSteps: number | undefined): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      this.d.env = { WEFT_FAILPOINTS_LOG: this.fpLog, WEFT_FAILPOINTS_TRACE: this.fpTrace };
      if (failpointSteps !== undefined && attempt === 0) {
        this.d.env.WEFT_FAILPOINTS = `*%${this.chance(failpointSteps).toFixed(3)}@${this.o.seed * 1000 + i + 1}`;
      }
      this.d.log = '';
      const t = Date.now();
      if (process.env.CHAOS_DEBUG) console.error(`restart after step ${i}: ${this.d.env.WEFT_FAILPOINTS ?? 'no failpoints'}`);
      try {
        await this.d.start();
        this.summary.timeMs.restarts += Date.now() - t;
        return;
      } catch (err) {
        await this.d.crash();
        const point = this.newFailpointHit();
        if (point) {
          this.summary.killPoints.push({ step: i, mode: 'startup-failpoint', point });
          this.lastKill = `failpoint ${point} while restarting after step ${i}`;
          continue;
        }
        this.summary.restartFailures.push({ step: i, log: String(err).slice(-3000) });
        this.record(i, [`restart-failure: after step ${i}: ${String(err).slice(-600)}`]);
      }
    }
    throw new Error(`the daemon did not start in 5 attempts after step ${i}`);
  }

  /** Percent per failpoint hit so that about one hit in `steps` steps' worth of hits kills. */
  private chance(steps: number): number {
    const hits = readLines(this.fpTrace).length;
    const perStep = this.stepsDone > 0 && hits > 0 ? hits / this.stepsDone : 5;
    return Math.min(60, Math.max(0.2, 100 / (perStep * Math.max(1, steps) * 0.7)));
  }

  private invariantOptions(): InvariantOptions {
    return { ignoreLinks: ['chsout'], neighbour: { nsPath: this.nb.path, hostIp: HOST_IP }, reply: (name, port) => (port === 80 ? replyOf(name) : undefined),
      gonePorts: [...this.runner.portsSeen] };
  }

  /** The invariants now; a daemon that dies meanwhile (a failpoint in work after a restart) is restarted and checked again. */
  private async check(i: number, after: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (this.dead()) {
        const point = this.newFailpointHit();
        if (point) this.summary.killPoints.push({ step: i, mode: 'startup-failpoint', point });
        else this.record(i, [`daemon-exited: after step ${i}, before or during the invariant check: ${this.d.log.slice(-400)}`]);
        await this.restart(i, undefined);
      }
      const t = Date.now();
      try {
        this.record(i, await checkInvariants(this.d, this.invariantOptions()), after);
        this.summary.timeMs.checks += Date.now() - t;
        return;
      } catch (err) {
        if (!this.dead()) {
          this.record(i, [`check-error: after step ${i}: ${String(err).slice(0, 400)}`], after);
          return;
        }
      }
    }
  }

  private record(i: number, violations: string[], after = this.lastKill): void {
    for (const v of violations) {
      if (this.seen.has(v)) continue;
      this.seen.add(v);
      const kind = violationKind(v);
      this.summary.violations[kind] = (this.summary.violations[kind] ?? 0) + 1;
      if (this.summary.samples[kind]) continue;
      this.summary.samples[kind] = { violation: v, step: i, after };
      if (this.o.findings) appendFinding(this.o, kind, v, i, after);
    }
  }

  private async removeEverything(): Promise<void> {
    for (const name of CONTAINERS) await this.d.api('DELETE', `/v1.50/containers/${name}?force=1`);
    for (const net of [...SUBNET_NETS, ...AUTO_NETS]) await this.d.api('DELETE', `/v1.50/networks/${net}`);
  }

  private tally(): void {
    for (const o of this.runner.outcomes) {
      const key = `${o.what} ${o.status}`;
      this.summary.statuses[key] = (this.summary.statuses[key] ?? 0) + 1;
      if (typeof o.status === 'number' && o.status >= 500) {
        const msg = `${o.what}: ${o.message.replace(/[0-9a-f]{12,64}/g, '<id>').slice(0, 160)}`;
        this.summary.serverErrors[msg] = (this.summary.serverErrors[msg] ?? 0) + 1;
      }
    }
    for (const k of this.summary.killPoints) this.summary.kills[k.mode] = (this.summary.kills[k.mode] ?? 0) + 1;
  }

  async destroy(): Promise<void> {
    await this.d.stop().catch(() => undefined);
    // Orphans the campaign found have no pid file left for TestDaemon.destroy: found by their root directory.
    const dir = path.join(this.d.root, 'containers');
    for (const p of processes()) {
      if (p.root.startsWith(dir) || p.cmdline.includes(dir)) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await this.d.destroy();
    this.nb.destroy();
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

function appendFinding(o: CampaignOptions, kind: string, v: string, step: number, after: string): void {
  const repro = `node dist/scripts/chaos.js --seed ${o.seed} --ops ${o.ops} --kills ${o.kills} --backend ${o.backend}`;
  fs.appendFileSync(o.findings!, `\n## ${kind} (${o.backend})\n- seen: ${v}\n- at step ${step}, after: ${after}\n- reproduce: \`${repro}\`\n`);
}

function readLines(f: string): string[] {
  try {
    return fs.readFileSync(f, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
