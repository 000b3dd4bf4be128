/** Docker's `until` filter values: timestamps and Go durations. */
import { InvalidArgument } from './errors.js';

const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const UNIT_MS: { [u: string]: number } = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };

/** A Go duration ("1h30m", "250ms") in milliseconds, or undefined when v is not one. */
export function parseGoDuration(v: string): number | undefined {
  if (!GO_DURATION.test(v)) return undefined;
  let ms = 0;
  for (const d of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(d[1]) * UNIT_MS[d[2]];
  return ms;
}

/** `until`: unix seconds, a Go duration before now (24h, 10m) or an RFC 3339 time; epoch ms. */
export function parseUntil(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const ago = parseGoDuration(v);
  if (ago !== undefined) return Date.now() - ago;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgument(`failed to parse value as time or duration: "${v}"`);
  return t;
}
