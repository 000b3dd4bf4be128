/**
 * The subset of nft's JSON (`nft -j list ruleset`) that weft's rules use: reading a
 * packet's fields for a match, comparing against literals, prefixes and named sets, and
 * printing an expression back the way `nft list` does, for explanations.
 */
import { cidrContains, ipVersion } from '../util/ip.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** A packet's fields at one point of its path. */
export interface Packet {
  iif: string;
  oif: string;
  saddr: string;
  daddr: string;
  proto: string;
  dport: number;
  dnat: boolean;
  local: boolean;
  /** The destination before any DNAT (conntrack's original tuple). */
  orig: { daddr: string; dport: number };
}

type Value = string | number | Value[];

export function isObject(j: Json | undefined): j is JsonObject {
  return typeof j === 'object' && j !== null && !Array.isArray(j);
}

/** The single key of a one-key object ({"accept": null} → "accept"). */
export function keyOf(j: Json): string | undefined {
  return isObject(j) ? Object.keys(j)[0] : undefined;
}

const familyName = (p: Packet): string => (ipVersion(p.daddr) === 4 ? 'ip' : 'ip6');

/** The packet's value for a left-hand expression; undefined when the expression does not apply to it. */
export function fieldOf(e: Json, p: Packet): Value | undefined {
  if (!isObject(e)) return undefined;
  if (isObject(e.meta)) return metaOf(String(e.meta.key), p);
  if (isObject(e.payload)) return payloadOf(String(e.payload.protocol), String(e.payload.field), p);
  if (isObject(e.ct)) return ctOf(String(e.ct.key), e.ct.dir, p);
  if (isObject(e.fib) && e.fib.result === 'type') return p.local ? 'local' : 'unicast';
  if (Array.isArray(e.concat)) {
    const parts = e.concat.map((x) => fieldOf(x, p));
    return parts.every((x) => x !== undefined) ? (parts as Value[]) : undefined;
  }
  return undefined;
}

/** Conntrack keys of a new connection: its state and status, and its original destination. */
function ctOf(key: string, dir: Json | undefined, p: Packet): Value | undefined {
  if (key === 'status') return p.dnat ? ['dnat'] : [];
  if (key === 'state') return ['new'];
  if (dir !== 'original') return undefined;
  if (key === 'proto-dst') return p.orig.dport;
  return key === `${familyName(p)} daddr` ? p.orig.daddr : undefined;
}

/** The ct keys ctOf reads. */
export const CT_KEYS = ['status', 'state', 'proto-dst', 'ip daddr', 'ip6 daddr'];

function metaOf(key: string, p: Packet): Value | undefined {
  switch (key) {
    case 'iifname':
      return p.iif;
    case 'oifname':
      return p.oif;
    case 'l4proto':
      return p.proto;
    case 'nfproto':
      return familyName(p) === 'ip' ? 'ipv4' : 'ipv6';
    default:
      return undefined;
  }
}

function payloadOf(proto: string, field: string, p: Packet): Value | undefined {
  if (proto === 'ip' || proto === 'ip6') {
    if (proto !== familyName(p)) return undefined;
    if (field === 'daddr') return p.daddr;
    if (field === 'saddr') return p.saddr;
    if (field === 'protocol' || field === 'nexthdr') return p.proto;
    return undefined;
  }
  if (proto !== 'th' && proto !== p.proto) return undefined;
  return field === 'dport' ? p.dport : undefined;
}

/** Whether a packet value equals one element (a literal, prefix, range or concatenation). */
export function valueMatches(v: Value, el: Json): boolean {
  if (isObject(el)) {
    if (isObject(el.elem)) return valueMatches(v, el.elem.val);
    if (isObject(el.prefix)) return typeof v === 'string' && safeContains(`${el.prefix.addr}/${el.prefix.len}`, v);
    if (Array.isArray(el.range)) return typeof v === 'number' && v >= Number(el.range[0]) && v <= Number(el.range[1]);
    if (Array.isArray(el.concat)) {
      const parts = el.concat;
      return Array.isArray(v) && v.length === parts.length && v.every((x, i) => valueMatches(x, parts[i]!));
    }
    return false;
  }
  if (Array.isArray(v)) return v.some((x) => valueMatches(x, el));
  if (typeof el === 'string' && el.endsWith('*') && typeof v === 'string') return v.startsWith(el.slice(0, -1));
  return String(v) === String(el);
}

function safeContains(cidr: string, ip: string): boolean {
  try {
    return cidrContains(cidr, ip);
  } catch {
    return false;
  }
}

/** How nft prints an expression (a readable approximation for the few forms weft writes). */
export function render(e: Json): string {
  if (!isObject(e)) return Array.isArray(e) ? `{ ${e.map(render).join(', ')} }` : typeof e === 'string' ? e : String(e);
  if (isObject(e.meta)) return String(e.meta.key);
  if (isObject(e.payload)) return `${e.payload.protocol} ${e.payload.field}`;
  if (isObject(e.ct)) return `ct ${e.ct.key}`;
  if (isObject(e.fib)) return `fib ${(e.fib.flags as Json[] | undefined)?.join(' ') ?? ''} ${e.fib.result}`;
  if (Array.isArray(e.concat)) return e.concat.map(render).join(' . ');
  if (isObject(e.prefix)) return `${e.prefix.addr}/${e.prefix.len}`;
  if (Array.isArray(e.range)) return `${e.range[0]}-${e.range[1]}`;
  if (isObject(e.set)) return render(e.set);
  if (Array.isArray(e.set)) return render(e.set);
  if (isObject(e.map)) return `${render(e.map.key)} map ${render(e.map.data)}`;
  return JSON.stringify(e);
}

/** One statement of a rule, printed. */
export function renderStatement(s: Json): string {
  const k = keyOf(s);
  if (!k || !isObject(s)) return String(s);
  const body = s[k];
  if (k === 'match' && isObject(body)) {
    const op = body.op === '==' || body.op === 'in' ? '' : `${body.op} `;
    const right = typeof body.right === 'string' && !body.right.startsWith('@') ? quoteIf(body) : render(body.right);
    return `${render(body.left)} ${op}${right}`;
  }
  if (k === 'vmap' && isObject(body)) return `${render(body.key)} vmap ${render(body.data)}`;
  if ((k === 'jump' || k === 'goto') && isObject(body)) return `${k} ${body.target}`;
  if ((k === 'dnat' || k === 'snat') && isObject(body)) return `${k} ${body.family ?? ''} to ${render(body.addr)}`.replace(/ {2}/g, ' ');
  return body === null ? k : `${k} ${JSON.stringify(body)}`;
}

function quoteIf(m: JsonObject): string {
  const key = isObject(m.left) && isObject(m.left.meta) ? String(m.left.meta.key) : '';
  return key.endsWith('ifname') ? `"${m.right}"` : String(m.right);
}

export function renderRule(expr: Json[]): string {
  return expr.filter((s) => keyOf(s) !== 'counter').map(renderStatement).join(' ');
}
