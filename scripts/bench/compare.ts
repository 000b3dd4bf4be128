/**
 * Two bench results side by side (`--compare before.json after.json`): per system and
 * figure, each file's p50, p90, first-10 and last-10 and the after/before ratio of the
 * p50s (below 1: faster or smaller).
 */
import fs from 'node:fs';
import type { Row } from './harness.js';
import { columns, f2 } from './table.js';

interface Result { n: number; date: string; rows: Row[] }

function load(file: string): Result {
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as Result;
  if (!Array.isArray(r.rows)) throw new Error(`${file}: not a bench result (no rows)`);
  return r;
}

const mid = (r?: Row): number | undefined => r?.value ?? r?.p50;

function cells(r?: Row): string[] {
  if (!r) return ['', '', '', ''];
  if (r.value !== undefined) return [`${f2(r.value)} MB`, '', '', ''];
  return [f2(r.p50), f2(r.p90), f2(r.first10), f2(r.last10)];
}

export function compareTable(fileA: string, fileB: string): string {
  const a = load(fileA);
  const b = load(fileB);
  const keys = [...new Set([...a.rows, ...b.rows].map((r) => `${r.system}\u0000${r.key}`))];
  const body = keys.map((k) => {
    const [system, key] = k.split('\u0000');
    const ra = a.rows.find((r) => r.system === system && r.key === key);
    const rb = b.rows.find((r) => r.system === system && r.key === key);
    const x = mid(ra);
    const y = mid(rb);
    return [system!, key!, ...cells(ra), ...cells(rb), x && y !== undefined ? (y / x).toFixed(2) : ''];
  });
  const head = ['system', 'figure', 'a p50', 'a p90', 'a first10', 'a last10', 'b p50', 'b p90', 'b first10', 'b last10', 'b/a'];
  return [`a: ${fileA} (N=${a.n}, ${a.date})`, `b: ${fileB} (N=${b.n}, ${b.date})`, '', columns(head, body), '',
    'times in ms; b/a = ratio of the p50s (of the values for MB rows); below 1 means b is faster or smaller.'].join('\n');
}
