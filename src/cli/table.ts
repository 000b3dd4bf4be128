/**
 * Output formatting shared by the list/inspect commands, like the docker CLI's formatter:
 *  - tables aligned like Go's tabwriter as docker configures it (min width 10, padding 3,
 *    last column not padded, header in caps);
 *  - `--format json`: one JSON object per line;
 *  - `--format 'table {{.ID}}\t{{.Name}}'`: a table of chosen columns;
 *  - `--format '{{.Name}}'`: a small subset of Go templates (see renderTemplate);
 *  - `-q`: ids only.
 */
import type { Writable } from 'node:stream';
import { UsageError } from './client.js';

// ---------------------------------------------------------------------------------------
// Tables

const MIN_WIDTH = 10;
const PADDING = 3;

const width = (s: string) => [...s].length;

/**
 * Render rows (first row = header) aligned like docker: every cell but the last on a line
 * is padded to max(10, widest cell in its column + 3). No trailing whitespace.
 */
export function renderTable(lines: string[][]): string {
  const widths: number[] = [];
  for (const cells of lines) {
    for (let j = 0; j < cells.length - 1; j++) {
      widths[j] = Math.max(widths[j] ?? MIN_WIDTH, width(cells[j]!) + PADDING);
    }
  }
  return lines
    .map((cells) => cells
      .map((c, j) => (j < cells.length - 1 ? c + ' '.repeat(Math.max(0, widths[j]! - width(c))) : c))
      .join(''))
    .map((l) => `${l}\n`)
    .join('');
}

// ---------------------------------------------------------------------------------------
// Go-template subset

/**
 * Supported: text, `{{.}}`, `{{.Field}}`, `{{.A.B.C}}`, string/number literals, function
 * calls `json`, `index`, `join`, `upper`, `lower`, `title`, `len`, `split`, `println`,
 * parentheses with a trailing field chain (`{{(index .Networks "n1").IPAddress}}`),
 * pipelines (`{{.Name | upper}}`) and the `{{- -}}` trim markers.
 * Not supported (a clear error): range/if/with/define and variables.
 */
type Token =
  | { t: 'field'; path: string[] } // "." -> []
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'ident'; v: string }
  | { t: '(' }
  | { t: ')' }
  | { t: '|' };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const fieldChain = (): string[] => {
    const path: string[] = [];
    while (src[i] === '.') {
      i++;
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
      if (!m) break;
      path.push(m[0]);
      i += m[0].length;
    }
    return path;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(' || c === ')' || c === '|') { out.push({ t: c }); i++; continue; }
    if (c === '.') {
      out.push({ t: 'field', path: fieldChain() });
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\' && j + 1 < src.length) {
          const e = src[j + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          j += 2;
        } else {
          s += src[j++];
        }
      }
      if (src[j] !== '"') throw new UsageError(`template: unterminated quoted string in ${JSON.stringify(src)}`);
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new UsageError(`template: unterminated raw quoted string in ${JSON.stringify(src)}`);
      out.push({ t: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num) { out.push({ t: 'num', v: Number(num[0]) }); i += num[0].length; continue; }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) { out.push({ t: 'ident', v: id[0] }); i += id[0].length; continue; }
    throw new UsageError(`template: unexpected ${JSON.stringify(c)} in ${JSON.stringify(src)}`);
  }
  return out;
}

type Expr =
  | { k: 'field'; base?: Expr; path: string[] }
  | { k: 'lit'; v: unknown }
  | { k: 'call'; fn: string; args: Expr[] };

const FUNCS: Record<string, (...args: unknown[]) => unknown> = {
  json: (v) => goJson(v),
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (cur === null || cur === undefined) return undefined;
      cur = (cur as Record<string, unknown>)[String(k)];
    }
    return cur;
  },
  join: (v, sep) => (Array.isArray(v) ? v.map((x) => goString(x)).join(String(sep ?? '')) : goString(v)),
  split: (v, sep) => String(v ?? '').split(String(sep ?? '')),
  upper: (v) => goString(v).toUpperCase(),
  lower: (v) => goString(v).toLowerCase(),
  title: (v) => goString(v).replace(/\b\w/g, (m) => m.toUpperCase()),
  len: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
  println: (...args) => `${args.map((a) => goString(a)).join(' ')}\n`,
};

const UNSUPPORTED = new Set(['range', 'if', 'else', 'end', 'with', 'define', 'template', 'block']);

function parseAction(src: string): Expr {
  const toks = tokenize(src);
  let pos = 0;
  const peek = () => toks[pos];

  const pipeline = (): Expr => {
    let expr = command();
    while (peek()?.t === '|') {
      pos++;
      const next = command();
      if (next.k === 'call') expr = { k: 'call', fn: next.fn, args: [...next.args, expr] };
      else throw new UsageError(`template: can't give argument to non-function in ${JSON.stringify(src)}`);
    }
    return expr;
  };

  const command = (): Expr => {
    const first = peek();
    if (first?.t === 'ident') {
      if (UNSUPPORTED.has(first.v)) throw new UsageError(`template: "${first.v}" is not supported by weft's --format`);
      if (!(first.v in FUNCS)) throw new UsageError(`template: function "${first.v}" not defined`);
      pos++;
      const args: Expr[] = [];
      while (peek() && peek()!.t !== '|' && peek()!.t !== ')') args.push(operand());
      return { k: 'call', fn: first.v, args };
    }
    const op = operand();
    if (peek() && peek()!.t !== '|' && peek()!.t !== ')') {
      throw new UsageError(`template: can't give argument to non-function in ${JSON.stringify(src)}`);
    }
    return op;
  };

  const operand = (): Expr => {
    const tok = toks[pos++];
    if (!tok) throw new UsageError(`template: missing value in ${JSON.stringify(src)}`);
    switch (tok.t) {
      case 'field': return { k: 'field', path: tok.path };
      case 'str': return { k: 'lit', v: tok.v };
      case 'num': return { k: 'lit', v: tok.v };
      case 'ident':
        if (UNSUPPORTED.has(tok.v)) throw new UsageError(`template: "${tok.v}" is not supported by weft's --format`);
        if (!(tok.v in FUNCS)) throw new UsageError(`template: function "${tok.v}" not defined`);
        return { k: 'call', fn: tok.v, args: [] };
      case '(': {
        const inner = pipeline();
        if (toks[pos++]?.t !== ')') throw new UsageError(`template: unclosed left paren in ${JSON.stringify(src)}`);
        const after = peek();
        if (after?.t === 'field' && after.path.length > 0) {
          pos++;
          return { k: 'field', base: inner, path: after.path };
        }
        return inner;
      }
      default:
        throw new UsageError(`template: unexpected "${tok.t}" in ${JSON.stringify(src)}`);
    }
  };

  const expr = pipeline();
  if (pos !== toks.length) throw new UsageError(`template: unexpected "${JSON.stringify(toks[pos])}" in ${JSON.stringify(src)}`);
  return expr;
}

function evalExpr(e: Expr, dot: unknown): unknown {
  switch (e.k) {
    case 'lit': return e.v;
    case 'call': return FUNCS[e.fn]!(...e.args.map((a) => evalExpr(a, dot)));
    case 'field': {
      let cur = e.base ? evalExpr(e.base, dot) : dot;
      for (const name of e.path) {
        if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
        cur = (cur as Record<string, unknown>)[name];
      }
      return cur;
    }
  }
}

type Part = string | Expr;

/** Compile a template once; the result renders any value. */
export function compileTemplate(tpl: string): (dot: unknown) => string {
  const parts: Part[] = [];
  let i = 0;
  while (i < tpl.length) {
    const open = tpl.indexOf('{{', i);
    if (open < 0) { parts.push(tpl.slice(i)); break; }
    let text = tpl.slice(i, open);
    const close = tpl.indexOf('}}', open + 2);
    if (close < 0) throw new UsageError(`template: unclosed action in ${JSON.stringify(tpl)}`);
    let body = tpl.slice(open + 2, close);
    let next = close + 2;
    if (/^-\s/.test(body)) { text = text.replace(/\s+$/, ''); body = body.slice(2); }
    if (/\s-$/.test(body)) {
      body = body.slice(0, -2);
      const m = /^\s*/.exec(tpl.slice(next));
      next += m ? m[0].length : 0;
    }
    if (text) parts.push(text);
    if (!/^\s*\/\*[\s\S]*\*\/\s*$/.test(body)) parts.push(parseAction(body)); // {{/* comment */}}
    i = next;
  }
  return (dot) => parts.map((p) => (typeof p === 'string' ? p : goString(evalExpr(p, dot)))).join('');
}

export function renderTemplate(tpl: string, dot: unknown): string {
  return compileTemplate(tpl)(dot);
}

/** How Go's text/template prints a value of an untyped (JSON-decoded) structure. */
export function goString(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => goString(x)).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${goString(o[k])}`).join(' ')}]`;
  }
  return String(v);
}

/** Go's json.Marshal: compact, with <, > and & escaped as the `json` template function does. */
export function goJson(v: unknown): string {
  const s = JSON.stringify(v === undefined ? null : v) ?? 'null';
  return s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// ---------------------------------------------------------------------------------------
// Lists

export interface Column {
  /** Field of the row object. */
  field: string;
  /** Header text, in caps ("NETWORK ID"). */
  header: string;
}

export interface ListSpec {
  /** Default table columns, in order. */
  columns: Column[];
  /** Extra field -> header names for `table` formats using non-default fields. */
  headers?: Record<string, string>;
  /** Field printed by -q. */
  idField: string;
}

export interface ListOptions {
  format?: string;
  quiet?: boolean;
}

/** Docker interprets the two escapes `\t` and `\n` typed literally in --format. */
export function unescapeFormat(format: string): string {
  return format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

function headerFor(spec: ListSpec, field: string): string {
  const col = spec.columns.find((c) => c.field === field);
  if (col) return col.header;
  if (spec.headers?.[field]) return spec.headers[field]!;
  return field.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

/** Render a list of rows (objects of strings) per --format / -q, docker-style. */
export function formatList(rows: Record<string, unknown>[], spec: ListSpec, opts: ListOptions): string {
  if (opts.quiet) return rows.map((r) => `${goString(r[spec.idField])}\n`).join('');
  const raw = opts.format?.trim() ?? '';
  if (raw === '' || raw === 'table') {
    return renderTable([spec.columns.map((c) => c.header), ...rows.map((r) => spec.columns.map((c) => goString(r[c.field] ?? '')))]);
  }
  if (raw === 'json') return rows.map((r) => `${goJson(r)}\n`).join('');
  if (raw.startsWith('table')) {
    const tpl = compileTemplate(unescapeFormat(raw.slice('table'.length).trim()));
    const headerRow = new Proxy({}, { get: (_t, prop) => (typeof prop === 'string' ? headerFor(spec, prop) : undefined) });
    const lines = [tpl(headerRow), ...rows.map((r) => tpl(r))].map((l) => l.split('\t'));
    return renderTable(lines);
  }
  const tpl = compileTemplate(unescapeFormat(raw));
  return rows.map((r) => `${tpl(r)}\n`).join('');
}

/**
 * `inspect`-style output: without a format, the objects re-indented with 4 spaces inside
 * `[ ]` (docker prints the daemon's JSON as-is, re-indented); `json` gives one compact line
 * per object; anything else is a template per object.
 */
export function formatInspect(objects: unknown[], format?: string): string {
  const raw = format?.trim() ?? '';
  if (raw === '') {
    if (objects.length === 0) return '[]\n';
    return `${JSON.stringify(objects, null, 4)}\n`;
  }
  if (raw === 'json') return objects.map((o) => `${JSON.stringify(o)}\n`).join('');
  const tpl = compileTemplate(unescapeFormat(raw));
  return objects.map((o) => `${tpl(o)}\n`).join('');
}

export function writeOut(dest: Writable, text: string): void {
  if (text) dest.write(text);
}
