/**
 * Named crash points for fault-injection tests, in the manner of etcd's gofail: with
 * WEFT_FAILPOINTS set, the daemon kills itself with SIGKILL when it reaches a chosen point,
 * so a test can stop it exactly between two steps of an operation and check what a restart
 * makes of the half-done work. Without the variable (the normal case) a failpoint costs one
 * boolean test.
 *
 * WEFT_FAILPOINTS is a comma-separated list of
 *   name        kill at the first hit of that point
 *   name@N      kill at its Nth hit
 *   *%P@SEED    kill at any point with probability P percent, from a seeded generator
 * WEFT_FAILPOINTS_LOG, if set, is a file the name of the point is appended to before the kill.
 */
import fs from 'node:fs';

interface Plan {
  /** Hits left before the kill, per point name. */
  counts: Map<string, number>;
  /** Chance per hit of any point (0..1) and the generator drawing against it. */
  chance: number;
  next: () => number;
}

const plan = parse(process.env.WEFT_FAILPOINTS);

/** Every point ever passed, so a test can list the points it may choose (WEFT_FAILPOINTS_TRACE). */
const trace = process.env.WEFT_FAILPOINTS_TRACE;

/** Marks a point in an operation where a crash is worth testing. */
export function failpoint(name: string): void {
  if (trace) fs.appendFileSync(trace, `${name}\n`);
  if (!plan) return;
  const left = plan.counts.get(name);
  const hit = left !== undefined ? left <= 1 : plan.chance > 0 && plan.next() < plan.chance;
  if (left !== undefined && left > 1) plan.counts.set(name, left - 1);
  if (!hit) return;
  const log = process.env.WEFT_FAILPOINTS_LOG;
  if (log) fs.appendFileSync(log, `${name}\n`);
  process.kill(process.pid, 'SIGKILL');
}

function parse(spec: string | undefined): Plan | undefined {
  if (!spec) return undefined;
  const p: Plan = { counts: new Map(), chance: 0, next: () => 1 };
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const random = /^\*%([\d.]+)(?:@(\d+))?$/.exec(item);
    if (random) {
      p.chance = Number(random[1]) / 100;
      p.next = mulberry32(Number(random[2] ?? 1));
      continue;
    }
    const [name, nth] = item.split('@');
    p.counts.set(name, nth ? Math.max(1, Number(nth)) : 1);
  }
  return p;
}

/** A small seeded generator: the same seed gives the same kill points (and, in the fault campaign, the same operations). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
