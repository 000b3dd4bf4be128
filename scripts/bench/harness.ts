/**
 * What every bench section shares: the clock, percentiles and trends, the result rows of
 * the peer comparison, and the progress log (stderr, so that stdout is the report).
 */
import fs from 'node:fs';

export type Key = 'attach' | 'attach-net' | 'detach' | 'connect' | 'disconnect' | 'netcreate' | 'netdelete' | 'rss' | 'e2e'
  | 'cycle-1' | 'cycle-n';

export interface Row {
  system: string;
  key: Key;
  figure: string;
  unit: 'ms' | 'MB';
  samples?: number;
  p50?: number;
  p90?: number;
  first10?: number;
  last10?: number;
  value?: number;
  note?: string;
  /** Every sample (ms, in order) when there are few (network create/delete, e2e). */
  raw?: number[];
  /** With more than 50 samples: the p50 of each tenth, in order (see tenths()). */
  trend?: number[];
  /** CNI ADD+DEL cycles (cni-cycle.ts): the bridge+portmap p50 over this system's. */
  timesFasterThanCni?: number;
}

/** Everything the peer comparison collects, reported and written as JSON at the end. */
export const results = {
  rows: [] as Row[],
  skipped: [] as { system: string; reason: string }[],
  breakdown: {} as Record<string, Record<string, number>>,
  /** p50 of exec'ing /bin/true from a peer's runner: the floor under every exec'd figure. */
  execFloorMs: undefined as number | undefined,
};

export function log(s: string): void {
  process.stderr.write(`${s}\n`);
}

/** Monotonic time in ms, sub-ms resolution. */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function pct(a: number[], p: number): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** p50 of each tenth of the operations, in order: whether a figure drifts as N grows. */
export function tenths(xs: number[]): number[] {
  return Array.from({ length: 10 }, (_, i) => xs.slice(Math.floor((i * xs.length) / 10), Math.floor(((i + 1) * xs.length) / 10)))
    .map((part) => Math.round(pct(part, 50) * 100) / 100);
}

/** A timed figure: percentiles, first and last 10, and the samples or their trend. */
export function record(system: string, key: Key, figure: string, xs: number[], note?: string): void {
  if (!xs.length) return;
  const first10 = pct(xs.slice(0, 10), 50);
  const last10 = pct(xs.slice(-10), 50);
  results.rows.push({
    system, key, figure, unit: 'ms', samples: xs.length, p50: pct(xs, 50), p90: pct(xs, 90), first10, last10, ...(note ? { note } : {}),
    ...(xs.length <= 50 ? { raw: xs.map((x) => Math.round(x * 100) / 100) } : { trend: tenths(xs) }),
  });
  log(`  ${system} ${figure}: p50 ${pct(xs, 50).toFixed(2)} ms (first 10 ${first10.toFixed(2)}, last 10 ${last10.toFixed(2)})`);
}

export function recordValue(system: string, key: Key, figure: string, value: number, note?: string): void {
  results.rows.push({ system, key, figure, unit: 'MB', value, ...(note ? { note } : {}) });
  log(`  ${system} ${figure}: ${value.toFixed(1)} MB`);
}

export function skip(system: string, reason: string): void {
  results.skipped.push({ system, reason });
  log(`  ${system}: skipped: ${reason}`);
}

/** Resident memory of a process, MB (NaN when unknown). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
