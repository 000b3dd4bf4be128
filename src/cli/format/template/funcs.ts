/**
 * The functions a docker --format template can call: text/template's builtins (and, or,
 * not, len, index, print, printf, println, eq, ne, lt, le, gt, ge) and the docker CLI's
 * (json, join, split, lower, upper, title, pad, truncate).
 * `and`/`or` are listed for name resolution; the executor evaluates them lazily.
 */
import { goJson, goString, goTruth } from '../go-values.js';
import { templateError } from './lex.js';
import { sprint, sprintf, sprintln } from './printf.js';

type Fn = (...args: unknown[]) => unknown;

interface FuncDef {
  fn: Fn;
  /** Exact number of arguments, when fixed. */
  arity?: number;
  min?: number;
}

const isBasic = (v: unknown) => v === undefined || v === null || typeof v !== 'object';

function equal(name: string, a: unknown, b: unknown): boolean {
  if (!isBasic(a) || !isBasic(b)) throw templateError(`error calling ${name}: non-comparable type`);
  return (a ?? null) === (b ?? null);
}

function order(name: string, a: unknown, b: unknown): number {
  const same = (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  if (!same) throw templateError(`error calling ${name}: incompatible types for comparison`);
  return (a as number) < (b as number) ? -1 : a === b ? 0 : 1;
}

function index(v: unknown, ...keys: unknown[]): unknown {
  let cur = v;
  for (const k of keys) {
    if (cur === null || cur === undefined) return undefined;
    cur = (cur as Record<string, unknown>)[String(k)];
  }
  return cur;
}

function length(v: unknown): number {
  if (Array.isArray(v) || typeof v === 'string') return v.length;
  return v && typeof v === 'object' ? Object.keys(v).length : 0;
}

const nilForMissing = (v: unknown) => (v === undefined ? null : v);

/** strings.Title: the first letter of each word upper-cased. */
const title = (v: unknown) => goString(v).replace(/\b\w/g, (m) => m.toUpperCase());

export const FUNCS: Record<string, FuncDef> = {
  and: { fn: () => undefined, min: 1 },
  or: { fn: () => undefined, min: 1 },
  not: { fn: (v) => !goTruth(v), arity: 1 },
  len: { fn: length, arity: 1 },
  index: { fn: index, min: 1 },
  // fmt sees a missing map key as a nil interface.
  print: { fn: (...a) => sprint(a.map(nilForMissing)) },
  printf: { fn: (f, ...a) => sprintf(goString(f), a.map(nilForMissing)), min: 1 },
  println: { fn: (...a) => sprintln(a.map(nilForMissing)) },
  eq: { fn: (a, ...bs) => bs.some((b) => equal('eq', a, b)), min: 2 },
  ne: { fn: (a, b) => !equal('ne', a, b), arity: 2 },
  lt: { fn: (a, b) => order('lt', a, b) < 0, arity: 2 },
  le: { fn: (a, b) => order('le', a, b) <= 0, arity: 2 },
  gt: { fn: (a, b) => order('gt', a, b) > 0, arity: 2 },
  ge: { fn: (a, b) => order('ge', a, b) >= 0, arity: 2 },
  json: { fn: (v) => goJson(v), arity: 1 },
  join: { fn: (v, sep) => (Array.isArray(v) ? v.map((x) => goString(x)).join(String(sep ?? '')) : goString(v)), arity: 2 },
  split: { fn: (v, sep) => String(v ?? '').split(String(sep ?? '')), arity: 2 },
  lower: { fn: (v) => goString(v).toLowerCase(), arity: 1 },
  upper: { fn: (v) => goString(v).toUpperCase(), arity: 1 },
  title: { fn: title, arity: 1 },
  // docker's padWithSpace and truncateWithLength
  pad: { fn: (s, pre, post) => (goString(s) === '' ? '' : ' '.repeat(Number(pre)) + goString(s) + ' '.repeat(Number(post))), arity: 3 },
  truncate: { fn: (s, n) => [...goString(s)].slice(0, Number(n)).join(''), arity: 2 },
};

export const isFunc = (name: string): boolean => Object.hasOwn(FUNCS, name);

/** Call a (non-lazy) function with its evaluated arguments, checking their number as Go does. */
export function callFunc(name: string, args: unknown[]): unknown {
  const def = FUNCS[name]!;
  if (def.arity !== undefined && args.length !== def.arity) {
    throw templateError(`wrong number of args for ${name}: want ${def.arity} got ${args.length}`);
  }
  if (def.min !== undefined && args.length < def.min) {
    throw templateError(`wrong number of args for ${name}: want at least ${def.min} got ${args.length}`);
  }
  return def.fn(...args);
}
