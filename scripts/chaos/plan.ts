/**
 * The fault campaign's plan, drawn from the seed alone: the operations (on a fixed pool of
 * container and network names, so an operation never depends on what an earlier one did)
 * and the kill points between them. Same seed, same plan.
 */
import { mulberry32 } from '../../src/util/failpoint.js';

export const SUBNET_NETS = ['chs-s0', 'chs-s1', 'chs-s2', 'chs-s3'];
export const AUTO_NETS = ['chs-a0', 'chs-a1'];
export const CONTAINERS = Array.from({ length: 10 }, (_, i) => `chs-c${i}`);
export const FIXED_PORTS = [18080, 18081, 18082, 18083, 18084];
export const PORT_RANGE = '19000-19009';

/** The subnet a subnet network is created with: chs-sK gets 10.201.K.0/24. */
export const subnetOf = (net: string): string => `10.201.${SUBNET_NETS.indexOf(net)}.0/24`;

export type Op =
  | { kind: 'net-create'; net: string }
  | { kind: 'net-rm'; net: string }
  | { kind: 'run'; name: string; net: string; hostPort: string; ip?: string }
  | { kind: 'connect'; name: string; net: string; ip?: string }
  | { kind: 'disconnect'; name: string; net: string }
  | { kind: 'stop'; name: string; timeout: number }
  | { kind: 'start'; name: string }
  | { kind: 'rm-f'; name: string }
  | { kind: 'burst'; ops: Op[] };

/** One kill: at which step (an index into the plan's steps) and how. */
export interface Kill {
  step: number;
  /** outside: SIGKILL from the campaign `delayMs` after the step's requests went out; failpoint: the daemon of this segment runs with WEFT_FAILPOINTS. */
  mode: 'outside' | 'failpoint';
  delayMs: number;
}

export interface Plan { steps: Op[]; kills: Kill[]; opCount: number }

export function makePlan(seed: number, ops: number, kills: number): Plan {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const steps: Op[] = [];
  let opCount = 0;
  while (opCount < ops) {
    if (rnd() < 0.08 && ops - opCount >= 2) {
      const n = Math.min(ops - opCount, 2 + Math.floor(rnd() * 4));
      steps.push({ kind: 'burst', ops: Array.from({ length: n }, () => oneOp(rnd, pick)) });
      opCount += n;
    } else {
      steps.push(oneOp(rnd, pick));
      opCount++;
    }
  }
  const at = new Set<number>();
  const want = Math.min(kills, steps.length);
  while (at.size < want) at.add(Math.floor(rnd() * steps.length));
  const killList = [...at].sort((a, b) => a - b)
    .map((step) => ({ step, mode: rnd() < 0.5 ? 'outside' : 'failpoint', delayMs: Math.floor(rnd() * 60) }) as Kill);
  return { steps, kills: killList, opCount };
}

function oneOp(rnd: () => number, pick: <T>(xs: readonly T[]) => T): Op {
  const r = rnd();
  const name = pick(CONTAINERS);
  const net = pick([...SUBNET_NETS, ...AUTO_NETS]);
  const ipFor = (n: string) => (SUBNET_NETS.includes(n) && rnd() < 0.4 ? `${subnetOf(n).split('.').slice(0, 3).join('.')}.${10 + Math.floor(rnd() * 20)}` : undefined);
  if (r < 0.1) return { kind: 'net-create', net };
  if (r < 0.16) return { kind: 'net-rm', net };
  if (r < 0.42) {
    const runNet = rnd() < 0.2 ? 'bridge' : net;
    const hp = rnd();
    const hostPort = hp < 0.35 ? String(pick(FIXED_PORTS)) : hp < 0.8 ? '' : PORT_RANGE;
    return { kind: 'run', name, net: runNet, hostPort, ip: runNet === 'bridge' ? undefined : ipFor(runNet) };
  }
  if (r < 0.54) return { kind: 'connect', name, net, ip: ipFor(net) };
  if (r < 0.63) return { kind: 'disconnect', name, net };
  if (r < 0.73) return { kind: 'stop', name, timeout: rnd() < 0.5 ? 0 : 1 };
  if (r < 0.85) return { kind: 'start', name };
  return { kind: 'rm-f', name };
}

export function describeOp(op: Op): string {
  if (op.kind === 'burst') return `burst[${op.ops.map(describeOp).join(' | ')}]`;
  const { kind, ...rest } = op;
  return `${kind} ${Object.values(rest).filter((x) => x !== undefined).join(' ')}`;
}
