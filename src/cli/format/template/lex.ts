/**
 * The text/template lexer: splits a template into text and actions, applies the `{{-`/`-}}`
 * trim markers, drops comments, and turns each action into tokens.
 */
import { UsageError } from '../../client.js';

export type Token =
  | { t: 'field'; path: string[]; space: boolean } // ".A.B"; "." alone is { t: 'dot' }
  | { t: 'dot'; space: boolean }
  | { t: 'var'; name: string; space: boolean } // "$x", "$"
  | { t: 'str'; v: string; space: boolean }
  | { t: 'num'; v: number; space: boolean }
  | { t: 'ident'; v: string; space: boolean }
  | { t: '(' | ')' | '|' | ',' | ':=' | '='; space: boolean };

export type Piece = { kind: 'text'; text: string } | { kind: 'action'; tokens: Token[] };

const SPACE = /[ \t\r\n]/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;
const NUMBER = /^[+-]?(0[xX][0-9a-fA-F_]+|(\d[\d_]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?)/;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };

export function templateError(message: string): UsageError {
  return new UsageError(`template: ${message}`);
}

/** A "..." literal starting at src[i]; returns the value and the index after the quote. */
function quoted(src: string, i: number): [string, number] {
  let s = '';
  let j = i + 1;
  while (j < src.length && src[j] !== '"') {
    if (src[j] === '\n') break;
    if (src[j] !== '\\') { s += src[j++]; continue; }
    const e = src[j + 1] ?? '';
    const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hex) {
      s += String.fromCodePoint(parseInt(src.slice(j + 2, j + 2 + hex), 16));
      j += 2 + hex;
    } else {
      s += ESCAPES[e] ?? e;
      j += 2;
    }
  }
  if (src[j] !== '"') throw templateError('unterminated quoted string');
  return [s, j + 1];
}

function fieldChain(src: string, i: number): [string[], number] {
  const path: string[] = [];
  while (src[i] === '.') {
    const m = IDENT.exec(src.slice(i + 1));
    if (!m) break;
    path.push(m[0]);
    i += 1 + m[0].length;
  }
  return [path, i];
}

/** Where an action closes: the index after its "}}", and whether it ends with " -}}". */
interface Close { end: number; trim: boolean }

/** Tokens of one action, from src[start] up to its closing "}}". */
function lexAction(src: string, start: number): [Token[], Close] {
  const out: Token[] = [];
  let i = start;
  let space = false;
  for (;;) {
    if (i >= src.length) throw templateError('unclosed action');
    const c = src[i]!;
    if (src.startsWith('}}', i)) return [out, { end: i + 2, trim: false }];
    if (SPACE.test(c)) {
      if (src.startsWith('-}}', i + 1)) return [out, { end: i + 4, trim: true }];
      space = true;
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === '|' || c === ',' || c === '=') {
      out.push({ t: c, space });
      i++;
    } else if (src.startsWith(':=', i)) {
      out.push({ t: ':=', space });
      i += 2;
    } else if (c === '"') {
      const [v, next] = quoted(src, i);
      out.push({ t: 'str', v, space });
      i = next;
    } else if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw templateError('unterminated raw quoted string');
      out.push({ t: 'str', v: src.slice(i + 1, j), space });
      i = j + 1;
    } else if (c === '$') {
      const m = IDENT.exec(src.slice(i + 1)) ?? /^[0-9]*/.exec(src.slice(i + 1))!;
      out.push({ t: 'var', name: `$${m[0]}`, space });
      i += 1 + m[0].length;
    } else if (c === '.' && IDENT.test(src.slice(i + 1))) {
      const [path, next] = fieldChain(src, i);
      out.push({ t: 'field', path, space });
      i = next;
    } else if (NUMBER.test(src.slice(i)) && !(c === '.' && !/\d/.test(src[i + 1] ?? ''))) {
      const m = NUMBER.exec(src.slice(i))![0];
      out.push({ t: 'num', v: Number(m.replace(/_/g, '')), space });
      i += m.length;
    } else if (c === '.') {
      out.push({ t: 'dot', space });
      i++;
    } else if (IDENT.test(src.slice(i))) {
      const m = IDENT.exec(src.slice(i))![0];
      out.push({ t: 'ident', v: m, space });
      i += m.length;
    } else {
      throw templateError(`unexpected ${JSON.stringify(c)} in command`);
    }
    space = false;
  }
}

/** A comment action (slash-star ... star-slash) starting at src[at]. */
function skipComment(src: string, at: number): Close {
  const end = src.indexOf('*/', at + 2);
  if (end < 0) throw templateError('unclosed comment');
  if (src.startsWith('}}', end + 2)) return { end: end + 4, trim: false };
  if (SPACE.test(src[end + 2] ?? '') && src.startsWith('-}}', end + 3)) return { end: end + 6, trim: true };
  throw templateError('comment ends before closing delimiter');
}

const trimStart = (s: string) => s.replace(/^[ \t\r\n]+/, '');
const trimEnd = (s: string) => s.replace(/[ \t\r\n]+$/, '');

/** The template as text and action pieces, trim markers applied, comments removed. */
export function lex(src: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = trimStart(text);
    if (open < 0) {
      if (text) pieces.push({ kind: 'text', text });
      break;
    }
    let body = open + 2;
    if (src[body] === '-' && SPACE.test(src[body + 1] ?? '')) {
      text = trimEnd(text);
      body += 2;
    }
    if (text) pieces.push({ kind: 'text', text });
    let close: Close;
    const lead = /^[ \t\r\n]*/.exec(src.slice(body))![0].length;
    if (src.startsWith('/*', body + lead)) close = skipComment(src, body + lead);
    else {
      const [tokens, at] = lexAction(src, body);
      pieces.push({ kind: 'action', tokens });
      close = at;
    }
    trimNext = close.trim;
    i = close.end;
  }
  return pieces;
}
