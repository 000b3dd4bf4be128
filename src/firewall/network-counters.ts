/**
 * Per-network forwarding and drop counts from the counters of each network's own chains
 * (nft: from-<id>/to-<id>, every rule with a `counter`; iptables: WEFT-FROM-<id>/WEFT-TO-<id>,
 * whose rules the kernel counts anyway). The chains' shapes (nft-rules.ts, iptables-rules.ts)
 * say what each rule means:
 *   from  rule 0 is the ICC rule (accept or drop); a later drop is the isolation drop, unless
 *         it ends the chain (internal); iptables jumps to WEFT-ISOLATION instead, and what came
 *         back from it is counted by the one rule after the jump (the chain's last).
 *   to    a drop ending a chain of one rule is internal, else unpublished.
 * Forwarded packets are those that entered the chain (the dispatch jump's counter, iptables)
 * less its drops; where the dispatch has no counter (nft's verdict maps), its accepts.
 */
import type { DropReason, NetworkCounter } from '../contracts/firewall.js';
import type { TableRule } from '../kernel/nft-table-rules.js';

export interface ChainNames {
  from: string;
  to: string;
  /** The shared isolation chain the from chains jump to (iptables). */
  isolation?: string;
}

type Rule = Pick<TableRule, 'chain' | 'verdict' | 'packets'>;

/** The chains countNetworks reads: the networks' own and, for the entry counts, the dispatch chain. */
export function networkChain(names: ChainNames, dispatch?: string): (chain: string) => boolean {
  return (c) => c.startsWith(names.from) || c.startsWith(names.to) || c === dispatch;
}

function byChain(rules: Rule[]): Map<string, Rule[]> {
  const m = new Map<string, Rule[]>();
  for (const r of rules) {
    const list = m.get(r.chain);
    if (list) list.push(r);
    else m.set(r.chain, [r]);
  }
  return m;
}

/** Why the drop rule at index i of a chain of `kind` drops; undefined for a rule that is no drop. */
function dropReason(kind: 'from' | 'to', rules: Rule[], i: number): DropReason | undefined {
  if (rules[i].verdict !== 'drop') return undefined;
  if (kind === 'to') return rules.length === 1 ? 'internal' : 'unpublished';
  if (i === 0) return 'icc';
  return i === rules.length - 1 ? 'internal' : 'isolation';
}

/** Drops and accepts of one network chain. */
function tally(kind: 'from' | 'to', rules: Rule[], isolation?: string): { dropped: NetworkCounter['dropped']; accepted: number } {
  const dropped: NetworkCounter['dropped'] = {};
  let accepted = 0;
  rules.forEach((r, i) => {
    const reason = dropReason(kind, rules, i);
    if (reason) dropped[reason] = (dropped[reason] ?? 0) + r.packets;
    else if (r.verdict === 'accept') accepted += r.packets;
    else if (isolation && r.verdict === `jump ${isolation}`) {
      const returned = rules.slice(i + 1).reduce((a, x) => a + x.packets, 0);
      dropped.isolation = (dropped.isolation ?? 0) + Math.max(0, r.packets - returned);
    }
  });
  return { dropped, accepted };
}

/** One NetworkCounter per network from the rules of one table of each family, summed over the tables. */
export function countNetworks(tables: Rule[][], names: ChainNames): NetworkCounter[] {
  const out = new Map<string, NetworkCounter>();
  for (const rules of tables) countTable(rules, names, out);
  return [...out.values()];
}

function countTable(rules: Rule[], names: ChainNames, out: Map<string, NetworkCounter>): void {
  const entered = new Map<string, number>();
  for (const r of rules) {
    const target = r.verdict?.startsWith('jump ') ? r.verdict.slice(5) : undefined;
    if (target) entered.set(target, (entered.get(target) ?? 0) + r.packets);
  }
  for (const [chain, list] of byChain(rules)) {
    const kind = chain.startsWith(names.from) ? 'from' : chain.startsWith(names.to) ? 'to' : undefined;
    if (!kind) continue;
    const tag = chain.slice(names[kind].length);
    let c = out.get(tag);
    if (!c) out.set(tag, (c = { tag, forwardedOut: 0, forwardedIn: 0, dropped: {} }));
    const t = tally(kind, list, names.isolation);
    const drops = Object.values(t.dropped).reduce((a, n) => a + n, 0);
    const forwarded = entered.has(chain) ? Math.max(0, entered.get(chain)! - drops) : t.accepted;
    if (kind === 'from') c.forwardedOut += forwarded;
    else c.forwardedIn += forwarded;
    for (const [k, n] of Object.entries(t.dropped) as [DropReason, number][]) c.dropped[k] = (c.dropped[k] ?? 0) + n;
  }
}

const SAVED = /^\[(\d+):\d+\] -A (\S+)(?: (.*))?$/;
const TARGETS: Record<string, string> = { ACCEPT: 'accept', DROP: 'drop', RETURN: 'return' };

/** The rules of `iptables-save -c -t filter` output, as a netlink dump has them (legacy iptables). */
export function parseFilterSave(text: string): Rule[] {
  const out: Rule[] = [];
  for (const line of text.split('\n')) {
    const m = SAVED.exec(line);
    if (!m) continue;
    const target = / -j (\S+)$|^-j (\S+)$/.exec(m[3] ?? '');
    const t = target?.[1] ?? target?.[2];
    out.push({ chain: m[2], packets: Number(m[1]), verdict: t ? (TARGETS[t] ?? `jump ${t}`) : undefined });
  }
  return out;
}
