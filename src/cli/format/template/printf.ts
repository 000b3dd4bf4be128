/**
 * Go's fmt.Sprintf, Sprint and Sprintln for the values a template handles: the verbs
 * %v %s %d %q %t %f %g %e %x %X %o %b %c and %%, with flags (- + 0 space #), width and precision.
 */
import { goString, goTypeName } from '../go-values.js';

const VERB = /%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])/g;

function pad(s: string, flags: string, width: number | undefined, numeric: boolean): string {
  if (width === undefined || [...s].length >= width) return s;
  const fill = width - [...s].length;
  if (flags.includes('-')) return s + ' '.repeat(fill);
  if (flags.includes('0') && numeric) {
    const sign = /^[+-]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(fill) + s.slice(sign.length);
  }
  return ' '.repeat(fill) + s;
}

const bad = (verb: string, v: unknown) => `%!${verb}(${goTypeName(v)}=${goString(v)})`;

function signed(n: number, text: string, flags: string): string {
  if (n >= 0 && flags.includes('+')) return `+${text}`;
  if (n >= 0 && flags.includes(' ')) return ` ${text}`;
  return text;
}

function integer(verb: string, v: unknown, flags: string): string {
  if (typeof v === 'boolean' || typeof v !== 'number' || !Number.isInteger(v)) {
    if (verb === 'x' || verb === 'X') {
      if (typeof v === 'string') {
        const hex = Buffer.from(v, 'utf8').toString('hex');
        return verb === 'X' ? hex.toUpperCase() : hex;
      }
    }
    return bad(verb, v);
  }
  const radix = { d: 10, x: 16, X: 16, o: 8, b: 2 }[verb as 'd'] ?? 10;
  let text = Math.abs(v).toString(radix);
  if (verb === 'X') text = text.toUpperCase();
  if (flags.includes('#') && verb !== 'd') text = (verb === 'o' ? '0' : verb === 'b' ? '0b' : verb === 'X' ? '0X' : '0x') + text;
  return signed(v, v < 0 ? `-${text}` : text, flags);
}

function float(verb: string, v: unknown, flags: string, prec: number | undefined): string {
  if (typeof v !== 'number') return bad(verb, v);
  let text: string;
  if (verb === 'f' || verb === 'F') text = v.toFixed(prec ?? 6);
  else if (verb === 'e' || verb === 'E') text = v.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
  else text = prec === undefined ? String(v) : String(Number(v.toPrecision(prec)));
  if (verb === 'E') text = text.toUpperCase();
  return signed(v, text, flags);
}

/** One conversion; returns the text and whether it is numeric (for zero padding). */
function convert(verb: string, v: unknown, flags: string, prec: number | undefined): [string, boolean] {
  switch (verb) {
    case 'v': return [goString(v), typeof v === 'number'];
    case 's': {
      const s = typeof v === 'number' || typeof v === 'boolean' ? bad('s', v) : goString(v);
      return [prec === undefined ? s : [...s].slice(0, prec).join(''), false];
    }
    case 'q': return typeof v === 'string' ? [JSON.stringify(v), false] : [bad('q', v), false];
    case 't': return typeof v === 'boolean' ? [String(v), false] : [bad('t', v), false];
    case 'c': return typeof v === 'number' ? [String.fromCodePoint(v), false] : [bad('c', v), false];
    case 'd': case 'x': case 'X': case 'o': case 'b': return [integer(verb, v, flags), true];
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': return [float(verb, v, flags, prec), true];
    default: return [`%!${verb}(${goTypeName(v)}=${goString(v)})`, false];
  }
}

export function sprintf(format: string, args: unknown[]): string {
  let n = 0;
  const take = (): { ok: boolean; v?: unknown } => (n < args.length ? { ok: true, v: args[n++] } : { ok: false });
  const out = format.replace(VERB, (_m, flags: string, w?: string, p?: string, verb?: string) => {
    if (verb === '%') return '%';
    const width = w === '*' ? Number(take().v) : w === undefined ? undefined : Number(w);
    const prec = p === '*' ? Number(take().v) : p === undefined ? (_m.includes('.') ? 0 : undefined) : Number(p);
    const arg = take();
    if (!arg.ok) return `%!${verb}(MISSING)`;
    const [text, numeric] = convert(verb!, arg.v, flags, prec);
    return pad(text, flags, width, numeric);
  });
  if (n >= args.length) return out;
  return `${out}%!(EXTRA ${args.slice(n).map((a) => `${goTypeName(a)}=${goString(a)}`).join(', ')})`;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += goString(a);
  });
  return out;
}

/** fmt.Sprintln: spaces between all operands, and a newline. */
export function sprintln(args: unknown[]): string {
  return `${args.map((a) => goString(a)).join(' ')}\n`;
}
