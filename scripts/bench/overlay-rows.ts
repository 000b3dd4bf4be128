/** The overlay section's ratio rows: a value only when both figures exist, never a made-up one. */
import { pct } from './harness.js';

export interface RatioRow {
  key: string;
  what: string;
  unit: 'ratio';
  /** Ratio of the two paths' medians. */
  value?: number;
  /** Per-round ratios (num and den measured in the same round): their median, range and every one, in order. */
  p50?: number;
  min?: number;
  max?: number;
  samples?: number;
  raw?: number[];
  note?: string;
}

export interface RatioInput {
  /** The two paths' medians. */
  num?: number;
  den?: number;
  /** The two paths' samples, round by round (same length when both paths ran). */
  numRounds?: number[];
  denRounds?: number[];
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * num / den; without either figure (a path the daemon does not support), a row with only `missing` as its note.
 * With the rounds, also the ratio within each round: the load of a shared machine drifts between rounds, so
 * a ratio of two runs made seconds apart is less noisy than one of medians taken over the whole run.
 */
export function ratioRow(key: string, what: string, x: RatioInput, o: { note?: string; missing: string }): RatioRow {
  const { num, den } = x;
  if (num === undefined || den === undefined || !(den > 0)) return { key, what, unit: 'ratio', note: o.missing };
  const row: RatioRow = { key, what, unit: 'ratio', value: num / den, ...(o.note ? { note: o.note } : {}) };
  const a = x.numRounds ?? [];
  const b = x.denRounds ?? [];
  if (!a.length || a.length !== b.length || b.some((v) => !(v > 0))) return row;
  const per = a.map((v, i) => v / b[i]);
  return { ...row, p50: pct(per, 50), min: Math.min(...per), max: Math.max(...per), samples: per.length, raw: per.map(round3) };
}
