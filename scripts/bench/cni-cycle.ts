/**
 * The figures every CNI system gives, from the same sequence of operations on N + 1
 * container namespaces (the last one is the probe): one ADD+DEL of the probe, not timed (the
 * bridge and the firewall's base rules are made once; a daemon warms up), ADD+DEL of the
 * probe 10 times with no
 * other attachment (the "at 1" cycle), ADD of the N - 1 others (attach), the probe's
 * ADD+DEL 10 times again (the "at N" cycle), then DEL of the N - 1 (detach). Each ADD
 * and DEL has one port mapped. A weft-cni row also carries how many times faster than
 * bridge+portmap it is (the cni row's p50 over its own).
 */
import { log, record, results } from './harness.js';
import { netns } from './lab.js';
import { N } from './options.js';

export const CYCLES = 10;

export interface CniOps {
  /** ADD container i (ports 20000 + i); returns the ms the plugins took. */
  add(i: number): Promise<number>;
  /** DEL container i. */
  del(i: number): Promise<number>;
}

export interface Labels { attach: string; detach: string }

/** The container namespaces, made before and outside every timed region. */
export function containerNamespaces(tag: string): string[] {
  log(`  creating ${N + 1} container namespaces (not timed)`);
  return Array.from({ length: N + 1 }, (_, i) => netns(`${tag}${i}`));
}

export async function cniFigures(sys: string, ops: CniOps, labels: Labels): Promise<void> {
  const probe = N;
  const cycle = async (): Promise<number[]> => {
    const xs: number[] = [];
    for (let j = 0; j < CYCLES; j++) xs.push((await ops.add(probe)) + (await ops.del(probe)));
    return xs;
  };
  await ops.add(probe);
  await ops.del(probe);
  cycleRow(sys, 'cycle-1', 'ADD+DEL (1 port) at 1 attachment', await cycle());
  const attach: number[] = [];
  for (let i = 0; i < N - 1; i++) attach.push(await ops.add(i));
  record(sys, 'attach', labels.attach, attach, 'network only; the container netns exists already');
  cycleRow(sys, 'cycle-n', `ADD+DEL (1 port) at ${N} attachments`, await cycle());
  const detach: number[] = [];
  for (let i = 0; i < N - 1; i++) detach.push(await ops.del(i));
  record(sys, 'detach', labels.detach, detach, 'network only');
}

function cycleRow(sys: string, key: 'cycle-1' | 'cycle-n', figure: string, xs: number[]): void {
  record(sys, key, figure, xs, 'the probe attachment ADDed and DELeted again, 10 times');
  const mine = results.rows[results.rows.length - 1];
  const ref = results.rows.find((r) => r.system === 'cni' && r.key === key);
  if (sys !== 'cni' && ref?.p50 && mine.p50) {
    mine.timesFasterThanCni = Math.round((ref.p50 / mine.p50) * 10) / 10;
    log(`  ${sys} ${figure}: ${mine.timesFasterThanCni}x faster than bridge+portmap`);
  }
}
