/**
 * Evaluates one new connection against a live nftables ruleset (`nft -j list ruleset`):
 * the base chains of each hook on its path in priority order, following jumps, verdict
 * maps, named sets and DNAT maps. It understands the statements weft writes; a rule with
 * anything else is reported as not evaluated and treated as not matching.
 */
import type { ExplainStep, Explanation, Flow, HostView } from '../contracts/explain.js';
import { explanation, startPacket } from './explain-path.js';
import { CT_KEYS, fieldOf, isObject, keyOf, type Json, type JsonObject, type Packet, renderRule, valueMatches } from './nft-json.js';
import { ipVersion } from '../util/ip.js';

interface Chain {
  family: string;
  table: string;
  name: string;
  hook?: string;
  prio: number;
  type?: string;
  policy?: string;
  rules: Json[][];
}

interface Ruleset {
  chains: Map<string, Chain>;
  sets: Map<string, Json[]>;
}

type Verdict = 'accept' | 'drop' | 'return' | undefined;

const id = (family: string, table: string, name: string): string => `${family} ${table} ${name}`;

export function parseRuleset(doc: Json): Ruleset {
  const items = isObject(doc) && Array.isArray(doc.nftables) ? doc.nftables : [];
  const rs: Ruleset = { chains: new Map(), sets: new Map() };
  for (const it of items) {
    if (!isObject(it)) continue;
    const c = it.chain;
    if (isObject(c)) {
      const chain: Chain = {
        family: String(c.family), table: String(c.table), name: String(c.name), prio: Number(c.prio ?? 0), rules: [],
        ...(c.hook ? { hook: String(c.hook), type: String(c.type), policy: String(c.policy ?? 'accept') } : {}),
      };
      rs.chains.set(id(chain.family, chain.table, chain.name), chain);
    }
    const r = it.rule;
    if (isObject(r) && Array.isArray(r.expr)) rs.chains.get(id(String(r.family), String(r.table), String(r.chain)))?.rules.push(r.expr);
    const s = isObject(it.set) ? it.set : isObject(it.map) ? it.map : undefined;
    if (s) rs.sets.set(id(String(s.family), String(s.table), String(s.name)), Array.isArray(s.elem) ? s.elem : []);
  }
  return rs;
}

class Walk {
  readonly steps: ExplainStep[] = [];
  constructor(
    private readonly rs: Ruleset,
    readonly p: Packet,
  ) {}

  /** Every base chain of a hook, lowest priority first; stops at the first drop. */
  hook(hook: string): 'accept' | 'drop' {
    const fam = ipVersion(this.p.daddr) === 4 ? 'ip' : 'ip6';
    const chains = [...this.rs.chains.values()]
      .filter((c) => c.hook === hook && (c.family === 'inet' || c.family === fam))
      .sort((a, b) => a.prio - b.prio);
    for (const c of chains) {
      const v = this.chain(c);
      const verdict = v === 'drop' || (!v && c.policy === 'drop') ? 'drop' : 'accept';
      if (!v && c.policy === 'drop') this.step(c, `policy ${c.policy}`, 'drop');
      if (verdict === 'drop') return 'drop';
    }
    return 'accept';
  }

  private chain(c: Chain, depth = 0): Verdict {
    if (depth > 16) return undefined;
    for (const expr of c.rules) {
      const v = this.rule(c, expr, depth);
      if (v === 'return') return undefined;
      if (v) return v;
    }
    return undefined;
  }

  /** One rule: undefined when it does not match or falls through. */
  private rule(c: Chain, expr: Json[], depth: number): Verdict {
    for (const s of expr) {
      const k = keyOf(s);
      const body = isObject(s) && k ? s[k] : undefined;
      if (k === 'match' && isObject(body)) {
        const m = this.match(c, body);
        if (m === undefined) return this.unknown(c, expr);
        if (!m) return undefined;
      } else if (k === 'accept' || k === 'drop' || k === 'return') {
        this.step(c, renderRule(expr), k);
        return k;
      } else if ((k === 'jump' || k === 'goto') && isObject(body)) {
        this.step(c, renderRule(expr), `${k} ${body.target}`);
        return this.jump(c, String(body.target), k, depth);
      } else if (k === 'vmap' && isObject(body)) {
        return this.vmap(c, expr, body, depth);
      } else if ((k === 'dnat' || k === 'redirect') && isObject(body)) {
        return this.dnat(c, expr, body);
      } else if (k === 'masquerade' || k === 'snat') {
        this.step(c, renderRule(expr), k);
        return 'accept';
      } else if (k !== 'counter' && k !== 'log' && k !== 'comment') {
        return this.unknown(c, expr);
      }
    }
    return undefined;
  }

  private jump(c: Chain, target: string, kind: string, depth: number): Verdict {
    const to = this.rs.chains.get(id(c.family, c.table, target));
    if (!to) return undefined;
    const v = this.chain(to, depth + 1);
    return kind === 'goto' && !v ? 'return' : v;
  }

  /** Match result, or undefined when the expression is not one this evaluator reads. */
  private match(c: Chain, m: JsonObject): boolean | undefined {
    const v = fieldOf(m.left, this.p);
    if (v === undefined) return isKnownLeft(m.left) ? false : undefined;
    const right = m.right;
    const els = typeof right === 'string' && right.startsWith('@') ? this.set(c, right) : literalSet(right);
    const hit = els.some((el) => valueMatches(v, Array.isArray(el) ? el[0]! : el));
    return m.op === '!=' ? !hit : hit;
  }

  private set(c: Chain, ref: string): Json[] {
    return this.rs.sets.get(id(c.family, c.table, ref.slice(1))) ?? [];
  }

  /** The value of the map element whose key matches (maps list [key, value] pairs). */
  private lookup(c: Chain, key: Json, data: Json): Json | undefined {
    const v = fieldOf(key, this.p);
    if (v === undefined) return undefined;
    const els = typeof data === 'string' ? this.set(c, data) : isObject(data) && Array.isArray(data.set) ? data.set : [];
    for (const el of els) if (Array.isArray(el) && valueMatches(v, el[0]!)) return el[1];
    return undefined;
  }

  private vmap(c: Chain, expr: Json[], body: JsonObject, depth: number): Verdict {
    const hit = this.lookup(c, body.key, body.data);
    const k = keyOf(hit ?? null);
    if (!k || !isObject(hit)) return undefined;
    const target = isObject(hit[k]) ? String((hit[k] as JsonObject).target) : '';
    this.step(c, renderRule(expr), target ? `${k} ${target}` : k);
    if (k === 'accept' || k === 'drop' || k === 'return') return k;
    return this.jump(c, target, k, depth);
  }

  private dnat(c: Chain, expr: Json[], body: JsonObject): Verdict {
    const fam = ipVersion(this.p.daddr) === 4 ? 'ip' : 'ip6';
    if (body.family && body.family !== fam) return undefined;
    const addr = isObject(body.addr) && isObject(body.addr.map) ? this.lookup(c, body.addr.map.key, body.addr.map.data) : body.addr;
    if (addr === undefined) return undefined;
    const [a, port] = isObject(addr) && Array.isArray(addr.concat) ? addr.concat : [addr, body.port ?? this.p.dport];
    this.p.daddr = String(a);
    this.p.dport = Number(port);
    this.p.dnat = true;
    this.step(c, renderRule(expr), `dnat to ${this.p.daddr}:${this.p.dport}`);
    return 'accept';
  }

  private unknown(c: Chain, expr: Json[]): undefined {
    this.step(c, renderRule(expr), 'not evaluated (not a rule weft writes)');
    return undefined;
  }

  private step(c: Chain, rule: string, action: string): void {
    this.steps.push({ table: `${c.family} ${c.table}`, chain: c.name, rule, action });
  }
}

function literalSet(right: Json): Json[] {
  if (Array.isArray(right)) return right;
  return isObject(right) && Array.isArray(right.set) ? right.set : [right];
}

function isKnownLeft(e: Json): boolean {
  if (!isObject(e)) return false;
  if (isObject(e.payload) || isObject(e.fib)) return true;
  if (isObject(e.ct)) return CT_KEYS.includes(String(e.ct.key));
  if (isObject(e.meta)) return ['iifname', 'oifname', 'l4proto', 'nfproto'].includes(String(e.meta.key));
  return Array.isArray(e.concat) && e.concat.every(isKnownLeft);
}

/** The verdict of the live ruleset for one new connection, with every rule that decided it. */
export function explainNft(doc: Json, flow: Flow, host: HostView): Explanation {
  const p = startPacket(flow, host);
  const w = new Walk(parseRuleset(doc), p);
  const done = (verdict: 'accept' | 'drop', egress?: string): Explanation => explanation(verdict, w.steps, p, egress);
  const first = flow.iif === undefined ? 'output' : 'prerouting';
  if (first === 'output') p.oif = host.route(p.daddr) ?? '';
  if (w.hook(first) === 'drop') return done('drop');
  p.local = host.isLocal(p.daddr);
  const egress = p.local ? 'local' : host.route(p.daddr);
  p.oif = p.local ? '' : (egress ?? '');
  const next = flow.iif === undefined ? undefined : p.local ? 'input' : 'forward';
  if (next && w.hook(next) === 'drop') return done('drop', egress);
  if (!p.local && w.hook('postrouting') === 'drop') return done('drop', egress);
  return done('accept', egress);
}
