/**
 * Evaluates one new connection against a live `iptables-save` (or `ip6tables-save`) dump:
 * the built-in chains of each hook on its path (raw, then nat for a new connection, then
 * filter), following jumps. It reads the matches weft writes (interfaces, addresses,
 * protocol and port, conntrack state, addrtype, comments); a rule with anything else is
 * reported as not evaluated and treated as not matching.
 */
import type { ExplainStep, Explanation, Flow, HostView } from '../contracts/explain.js';
import { explanation, startPacket } from './explain-path.js';
import { cidrContains, ipVersion } from '../util/ip.js';
import { parseSave, type SaveDump } from './iptables-rules.js';
import type { Packet } from './nft-json.js';

type Verdict = 'ACCEPT' | 'DROP' | 'RETURN' | undefined;

/** Built-in chain policies ("filter FORWARD" → "DROP"). */
function policies(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    const m = /^:(\S+) (ACCEPT|DROP) /.exec(line);
    if (m) out.set(`${table} ${m[1]}`, m[2]!);
  }
  return out;
}

/** Rule text split into words, quoted comments kept whole. */
function words(spec: string): string[] {
  return [...spec.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

const ifMatch = (pattern: string, name: string): boolean =>
  pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;

const addrMatch = (cidr: string, ip: string): boolean => {
  try {
    return cidrContains(cidr.includes('/') ? cidr : `${cidr}/${ipVersion(cidr) === 4 ? 32 : 128}`, ip);
  } catch {
    return false;
  }
};

interface Parsed {
  /** undefined: a match this evaluator does not read. */
  matches: boolean | undefined;
  target?: string;
  toDestination?: string;
}

/** Whether the rule's matches hold for the packet, and its target. */
function evaluate(w: string[], p: Packet): Parsed {
  let ok = true;
  let target: string | undefined;
  let toDestination: string | undefined;
  for (let i = 0; i < w.length; i++) {
    const neg = w[i] === '!';
    if (neg) i++;
    const opt = w[i]!;
    const arg = w[i + 1] ?? '';
    const test = (v: boolean) => {
      if (v === neg) ok = false;
      i++;
    };
    if (opt === '-i') test(ifMatch(arg, p.iif));
    else if (opt === '-o') test(ifMatch(arg, p.oif));
    else if (opt === '-s') test(addrMatch(arg, p.saddr));
    else if (opt === '-d') test(addrMatch(arg, p.daddr));
    else if (opt === '-p') test(arg === p.proto);
    else if (opt === '--dport') test(portMatch(arg, p.dport));
    else if (opt === '--ctorigdst') test(addrMatch(arg, p.orig.daddr));
    else if (opt === '--ctorigdstport') test(portMatch(arg, p.orig.dport));
    else if (opt === '--ctstate') test(arg.split(',').some((s) => s === 'NEW' || (s === 'DNAT' && p.dnat)));
    else if (opt === '--dst-type') test(arg === 'LOCAL' ? p.local : arg === 'UNICAST' && !p.local);
    else if (opt === '-m' || opt === '--comment') i++;
    else if (opt === '-j' || opt === '-g') (target = arg), i++;
    else if (opt === '--to-destination') (toDestination = arg), i++;
    else return { matches: undefined };
  }
  return { matches: ok, ...(target ? { target } : {}), ...(toDestination ? { toDestination } : {}) };
}

function portMatch(spec: string, port: number): boolean {
  const [lo, hi] = spec.split(':').map(Number);
  return hi === undefined ? port === lo : port >= lo! && port <= hi;
}

class Walk {
  readonly steps: ExplainStep[] = [];
  constructor(
    private readonly dump: SaveDump,
    private readonly policy: Map<string, string>,
    private readonly tool: string,
    readonly p: Packet,
  ) {}

  /** One built-in chain of one table; its policy when nothing decided. */
  builtin(table: string, chain: string): 'accept' | 'drop' {
    if (!this.dump.has(table)) return 'accept';
    const v = this.chain(table, chain, 0);
    if (v === 'DROP') return 'drop';
    if (v === 'ACCEPT') return 'accept';
    const pol = this.policy.get(`${table} ${chain}`) ?? 'ACCEPT';
    if (pol === 'DROP') this.step(table, chain, 'policy DROP', 'drop');
    return pol === 'DROP' ? 'drop' : 'accept';
  }

  private chain(table: string, chain: string, depth: number): Verdict {
    if (depth > 16) return undefined;
    for (const spec of this.dump.get(table)?.rules.get(chain) ?? []) {
      const r = evaluate(words(spec), this.p);
      if (r.matches === undefined) {
        this.step(table, chain, spec, 'not evaluated (not a rule weft writes)');
        continue;
      }
      if (!r.matches || !r.target) continue;
      const v = this.target(table, chain, spec, r, depth);
      if (v === 'RETURN') return undefined;
      if (v) return v;
    }
    return undefined;
  }

  private target(table: string, chain: string, spec: string, r: Parsed, depth: number): Verdict {
    const t = r.target!;
    if (t === 'ACCEPT' || t === 'DROP' || t === 'REJECT' || t === 'RETURN') {
      this.step(table, chain, spec, t === 'REJECT' ? 'drop' : t.toLowerCase());
      return t === 'REJECT' ? 'DROP' : t;
    }
    if (t === 'DNAT' && r.toDestination) {
      const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(r.toDestination);
      this.p.daddr = m?.[1] ?? m?.[2] ?? this.p.daddr;
      this.p.dport = m?.[3] ? Number(m[3]) : this.p.dport;
      this.p.dnat = true;
      this.step(table, chain, spec, `dnat to ${this.p.daddr}:${this.p.dport}`);
      return 'ACCEPT';
    }
    if (t === 'MASQUERADE' || t === 'SNAT') {
      this.step(table, chain, spec, t.toLowerCase());
      return 'ACCEPT';
    }
    if (this.dump.get(table)?.chains.has(t)) {
      this.step(table, chain, spec, `jump ${t}`);
      return this.chain(table, t, depth + 1);
    }
    return undefined;
  }

  private step(table: string, chain: string, rule: string, action: string): void {
    this.steps.push({ table: `${this.tool} ${table}`, chain, rule, action });
  }
}

/** The verdict of a live iptables-save dump (of the flow's family) for one new connection. */
export function explainIptables(save: string, flow: Flow, host: HostView): Explanation {
  const p = startPacket(flow, host);
  const w = new Walk(parseSave(save), policies(save), ipVersion(flow.daddr) === 4 ? 'iptables' : 'ip6tables', p);
  const fromHost = flow.iif === undefined;
  const done = (verdict: 'accept' | 'drop', egress?: string): Explanation => explanation(verdict, w.steps, p, egress);
  const first = fromHost ? 'OUTPUT' : 'PREROUTING';
  if (fromHost) p.oif = host.route(p.daddr) ?? '';
  if (w.builtin('raw', first) === 'drop' || w.builtin('nat', first) === 'drop') return done('drop');
  p.local = host.isLocal(p.daddr);
  const egress = p.local ? 'local' : host.route(p.daddr);
  p.oif = p.local ? '' : (egress ?? '');
  const filter = fromHost ? 'OUTPUT' : p.local ? 'INPUT' : 'FORWARD';
  if (w.builtin('filter', filter) === 'drop') return done('drop', egress);
  if (!p.local) w.builtin('nat', 'POSTROUTING');
  return done('accept', egress);
}
