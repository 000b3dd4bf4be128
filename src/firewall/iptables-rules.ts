/**
 * iptables rule text for weft, and the planner that turns "what should exist" plus the
 * current `iptables-save` dump into one `iptables-restore --noflush` batch (atomic).
 *
 * Layout (per family; chains for a network are named from its id so removal is exact):
 *   filter FORWARD      -j WEFT-FORWARD                     (inserted first, once)
 *   filter WEFT-FORWARD -i <br> -j WEFT-FROM-<id>           (one pair per network)
 *                       -o <br> -j WEFT-TO-<id>
 *   WEFT-FROM-<id>      icc accept/drop for <br> -> <br>, DNATed accept (published ports), then
 *                       WEFT-ISOLATION, then accept (drop when internal); the metrics read their counters
 *   WEFT-ISOLATION      -o <br> -j DROP  (one per network: bridge-to-other-bridge)
 *   WEFT-TO-<id>        established accept, WEFT-PORTS, drop (just drop when internal)
 *   WEFT-PORTS          --ctstate DNAT -j ACCEPT  (one fixed rule: whatever weft's DNAT
 *                       let in is a published port; no per-port filter rule to delete)
 *   raw PREROUTING      -j WEFT-RAW-PREROUTING
 *   WEFT-RAW-PREROUTING -d <loopback> ! -i lo -j DROP  (like Docker 28: a neighbour that routes
 *                       127.0.0.0/8 or ::1 to the host never reaches a port published there)
 *   nat PREROUTING/OUTPUT (dst-type LOCAL) -j WEFT-DNAT
 *   WEFT-DNAT           -p P --dport <64-port block> -j WEFT-DNAT-<P><block>
 *   WEFT-DNAT-<P><block> one DNAT per host port of that block (loopback host IPs need no
 *                       `-i lo`: the raw drop stops them first unless they came in on lo)
 *     Deleting a rule by its text makes iptables walk the chain, so a flat WEFT-DNAT
 *     costs O(published ports) per removal; blocks of 64 ports bound that walk, and a
 *     block chain exists only while it holds a port.
 *   nat POSTROUTING     -j WEFT-POSTROUTING
 *   WEFT-POSTROUTING    -s <subnet> -j WEFT-NAT-<id>
 *   WEFT-NAT-<id>       ! -o <br> MASQUERADE; -o <br> --ctstate DNAT MASQUERADE (hairpin)
 * The text is exactly what iptables-save prints, so presence checks are string compares.
 */
import { checkIfName, LOOPBACK, shortId, subnetsOf, type Family, type PortRule, WEFT_DNAT_SKIP } from './common.js';
import type { FirewallNetwork } from '../contracts/firewall.js';
import { iptablesToExtras, masqueradesFamily } from './gateway-modes.js';
import { iptablesOutbound } from './host-snat.js';

export const WEFT_FORWARD = 'WEFT-FORWARD';
export const WEFT_ISOLATION = 'WEFT-ISOLATION';
export const WEFT_PORTS = 'WEFT-PORTS';
export const WEFT_DNAT = 'WEFT-DNAT';
export const WEFT_POSTROUTING = 'WEFT-POSTROUTING';
export const WEFT_RAW_PREROUTING = 'WEFT-RAW-PREROUTING';
const PREFIX = 'WEFT-';
export const NET_CHAINS = { from: 'WEFT-FROM-', to: 'WEFT-TO-' };
export const fromChain = (id: string): string => `${NET_CHAINS.from}${shortId(id)}`;
export const toChain = (id: string): string => `${NET_CHAINS.to}${shortId(id)}`;
export const natChain = (id: string): string => `WEFT-NAT-${shortId(id)}`;

/** Our chains and the jumps into them from the built-in chains; init() ensures these. */
export function baseLayout(family: Family): { table: string; chains: string[]; jumps: [string, string][] }[] {
  const loopback = LOOPBACK[family];
  return [
    { table: 'raw', chains: [WEFT_RAW_PREROUTING], jumps: [['PREROUTING', `-j ${WEFT_RAW_PREROUTING}`]] },
    { table: 'filter', chains: [WEFT_FORWARD, WEFT_ISOLATION, WEFT_PORTS], jumps: [['FORWARD', `-j ${WEFT_FORWARD}`]] },
    {
      table: 'nat',
      chains: [WEFT_DNAT, WEFT_POSTROUTING],
      jumps: [
        ['PREROUTING', `-m addrtype --dst-type LOCAL -j ${WEFT_DNAT}`],
        // Like Docker: no DNAT for loopback destinations (that needs route_localnet).
        ['OUTPUT', `! -d ${loopback} -m addrtype --dst-type LOCAL -j ${WEFT_DNAT}`],
        ['POSTROUTING', `-j ${WEFT_POSTROUTING}`],
      ],
    },
  ];
}

export interface NetworkRules {
  from: string[];
  to: string[];
  /** Lines in WEFT-FORWARD. */
  dispatch: string[];
  isolation: string;
  /** WEFT-NAT-<id> content, or undefined for internal networks (no NAT at all). */
  nat?: string[];
  /** Lines in WEFT-POSTROUTING. */
  postrouting: string[];
}

/** The rules of one network for one family (filter rules are the same for both). */
export function networkRules(net: FirewallNetwork, family: Family): NetworkRules {
  const br = checkIfName(net.bridge);
  // DNATed traffic (a published port reached through a host address) may cross into
  // another network: its destination chain still admits only published ports.
  const from = net.internal
    ? [`-o ${br} -j ${net.icc ? 'ACCEPT' : 'DROP'}`, `-j ${WEFT_ISOLATION}`, '-j DROP']
    : [`-o ${br} -j ${net.icc ? 'ACCEPT' : 'DROP'}`, '-m conntrack --ctstate DNAT -j ACCEPT', `-j ${WEFT_ISOLATION}`, '-j ACCEPT'];
  const to = net.internal
    ? ['-j DROP']
    : [`-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, `-j ${WEFT_PORTS}`, ...iptablesToExtras(net, family), '-j DROP'];
  const subnets = subnetsOf(family === 4 ? net.subnets4 : net.subnets6);
  const nat = net.internal
    ? undefined
    : [...(net.masquerade ? [iptablesOutbound(net, family, br)] : []), `-o ${br} -m conntrack --ctstate DNAT -j MASQUERADE`];
  return {
    from,
    to,
    dispatch: [`-i ${br} -j ${fromChain(net.id)}`, `-o ${br} -j ${toChain(net.id)}`],
    isolation: `-o ${br} -j DROP`,
    nat,
    postrouting: nat && masqueradesFamily(net, family) ? subnets.map((s) => `-s ${s} -j ${natChain(net.id)}`) : [],
  };
}

/**
 * The one filter rule of published ports: admit what weft's DNAT let in. Not per port, as
 * in Docker: a DNATed connection's destination is the one its DNAT rule wrote, and DNAT into
 * a network exists only for its published ports.
 */
export const PORTS_ACCEPT = '-m conntrack --ctstate DNAT -j ACCEPT';

/** Loopback destinations are valid only on lo: dropped before conntrack or NAT see them. */
export const loopbackDrop = (family: Family): string => `-d ${LOOPBACK[family]} ! -i lo -j DROP`;

const BLOCK_BITS = 6;

/** The nat rules of one published host port: its DNAT, in the chain of its port block. */
export function portRules(r: PortRule): { chain: string; jump: string; dnat: string } {
  const bits = r.family === 4 ? 32 : 128;
  const to = r.family === 4 ? r.containerIp : `[${r.containerIp}]`;
  const match = `-p ${r.proto} -m ${r.proto}`;
  // No interface match: OUTPUT (loopback DNAT, userland proxy off) has no input interface.
  const dst = r.hostIp ? `-d ${r.hostIp}/${bits} ` : '';
  checkIfName(r.bridge);
  const block = r.hostPort >> BLOCK_BITS;
  const lo = block << BLOCK_BITS;
  const chain = `${WEFT_DNAT}-${r.proto.toUpperCase()}${block}`;
  return {
    chain,
    jump: `${match} --dport ${lo}:${lo + (1 << BLOCK_BITS) - 1} -j ${chain}`,
    dnat: `${dst}${match} --dport ${r.hostPort} -j DNAT --to-destination ${to}:${r.containerPort}`,
  };
}

// ---- iptables-save parsing -------------------------------------------------------------

export interface SaveTable {
  chains: Set<string>;
  /** Rule text after "-A <chain> ", in order. */
  rules: Map<string, string[]>;
}
export type SaveDump = Map<string, SaveTable>;

export function parseSave(text: string): SaveDump {
  const dump: SaveDump = new Map();
  let cur: SaveTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      cur = { chains: new Set(), rules: new Map() };
      dump.set(line.slice(1).trim(), cur);
      continue;
    }
    if (!cur) continue;
    if (line.startsWith(':')) {
      cur.chains.add(line.slice(1).split(' ')[0]);
    } else if (line.startsWith('-A ')) {
      const rest = line.slice(3);
      const sp = rest.indexOf(' ');
      const chain = sp < 0 ? rest : rest.slice(0, sp);
      const spec = sp < 0 ? '' : rest.slice(sp + 1);
      const list = cur.rules.get(chain) ?? [];
      list.push(spec);
      cur.rules.set(chain, list);
    } else if (line.startsWith('COMMIT')) {
      cur = undefined;
    }
  }
  return dump;
}

/** Whether a rule's only action is a jump to chain. */
export function jumpsTo(spec: string, chain: string): boolean {
  return spec === `-j ${chain}` || spec.endsWith(` -j ${chain}`);
}

// ---- the batch builder -----------------------------------------------------------------

interface TableBatch {
  decl: string[];
  del: string[];
  add: string[];
  drop: string[];
  flushed: Set<string>;
  dropped: Set<string>;
  deleted: Map<string, number>;
  added: Map<string, number>;
}

/**
 * One iptables-restore --noflush input, planned against a dump. Within a table it emits
 * chain declarations (which create or flush), then -D, then -A/-I, then -X, and keeps its
 * own view of the result so that repeated ensure/remove calls stay consistent.
 */
export class RestoreBatch {
  private readonly tables = new Map<string, TableBatch>();

  constructor(private readonly dump: SaveDump) {}

  private tb(table: string): TableBatch {
    let t = this.tables.get(table);
    if (!t) {
      t = { decl: [], del: [], add: [], drop: [], flushed: new Set(), dropped: new Set(), deleted: new Map(), added: new Map() };
      this.tables.set(table, t);
    }
    return t;
  }

  /** Rules of a chain as the dump has them (empty once this batch flushed it). */
  rulesOf(table: string, chain: string): string[] {
    if (this.tables.get(table)?.flushed.has(chain)) return [];
    return this.dump.get(table)?.rules.get(chain) ?? [];
  }

  hasChain(table: string, chain: string): boolean {
    const t = this.tables.get(table);
    if (t?.dropped.has(chain)) return false;
    return (this.dump.get(table)?.chains.has(chain) ?? false) || (t?.flushed.has(chain) ?? false);
  }

  /** How many times spec is in chain after this batch. */
  count(table: string, chain: string, spec: string): number {
    const key = `${chain}\n${spec}`;
    const t = this.tables.get(table);
    const inDump = this.rulesOf(table, chain).filter((s) => s === spec).length;
    return inDump - (t?.deleted.get(key) ?? 0) + (t?.added.get(key) ?? 0);
  }

  /** Create the chain, or flush it if it exists. */
  declare(table: string, chain: string): void {
    const t = this.tb(table);
    if (t.flushed.has(chain) && !t.dropped.has(chain)) return;
    t.decl.push(`:${chain} - [0:0]`);
    t.flushed.add(chain);
    t.dropped.delete(chain);
  }

  ensureChain(table: string, chain: string): void {
    if (!this.hasChain(table, chain)) this.declare(table, chain);
  }

  append(table: string, chain: string, spec: string, top = false): void {
    const t = this.tb(table);
    t.add.push(top ? `-I ${chain} 1 ${spec}` : `-A ${chain} ${spec}`);
    const key = `${chain}\n${spec}`;
    t.added.set(key, (t.added.get(key) ?? 0) + 1);
  }

  /** Add spec unless it is already there (at the top of the chain when top). */
  ensure(table: string, chain: string, spec: string, top = false): void {
    if (this.count(table, chain, spec) === 0) this.append(table, chain, spec, top);
  }

  /** Delete every occurrence of spec that the dump has. */
  remove(table: string, chain: string, spec: string): void {
    const t = this.tb(table);
    const key = `${chain}\n${spec}`;
    const present = this.rulesOf(table, chain).filter((s) => s === spec).length - (t.deleted.get(key) ?? 0);
    for (let i = 0; i < present; i++) t.del.push(`-D ${chain} ${spec}`);
    if (present > 0) t.deleted.set(key, (t.deleted.get(key) ?? 0) + present);
  }

  /** Flush and delete a chain if it exists (its referrers must be removed in this batch). */
  dropChain(table: string, chain: string): void {
    if (!this.hasChain(table, chain)) return;
    this.declare(table, chain);
    const t = this.tb(table);
    t.drop.push(`-X ${chain}`);
    t.dropped.add(chain);
  }

  get empty(): boolean {
    return [...this.tables.values()].every((t) => !t.decl.length && !t.del.length && !t.add.length && !t.drop.length);
  }

  render(): string {
    const out: string[] = [];
    for (const name of ['raw', 'mangle', 'filter', 'nat', 'security', ...this.tables.keys()]) {
      const t = this.tables.get(name);
      if (!t || out.includes(`*${name}`)) continue;
      if (!t.decl.length && !t.del.length && !t.add.length && !t.drop.length) continue;
      out.push(`*${name}`, ...t.decl, ...t.del, ...t.add, ...t.drop, 'COMMIT');
    }
    return out.length ? `${out.join('\n')}\n` : '';
  }
}

// ---- plans -----------------------------------------------------------------------------

/** Our chains and the jumps from the built-in chains, added where missing. */
export function planInit(b: RestoreBatch, family: Family): void {
  for (const { table, chains, jumps } of baseLayout(family)) {
    for (const c of chains) b.ensureChain(table, c);
    for (const [chain, spec] of jumps) b.ensure(table, chain, spec, true);
  }
  b.ensure('filter', WEFT_PORTS, PORTS_ACCEPT);
  b.ensure('raw', WEFT_RAW_PREROUTING, loopbackDrop(family));
}

/** Replace one network's rules: its own chains are rewritten, shared lines fixed up. */
export function planAddNetwork(b: RestoreBatch, net: FirewallNetwork, family: Family): void {
  planInit(b, family);
  const r = networkRules(net, family);
  const from = fromChain(net.id);
  const to = toChain(net.id);
  b.declare('filter', from);
  for (const s of r.from) b.append('filter', from, s);
  b.declare('filter', to);
  for (const s of r.to) b.append('filter', to, s);
  replaceLines(b, 'filter', WEFT_FORWARD, [from, to], r.dispatch);
  b.ensure('filter', WEFT_ISOLATION, r.isolation);

  const nat = natChain(net.id);
  if (r.nat) {
    b.declare('nat', nat);
    for (const s of r.nat) b.append('nat', nat, s);
    replaceLines(b, 'nat', WEFT_POSTROUTING, [nat], r.postrouting);
  } else {
    replaceLines(b, 'nat', WEFT_POSTROUTING, [nat], []);
    b.dropChain('nat', nat);
  }
}

/** Remove exactly what planAddNetwork made for this network; missing pieces are fine. */
export function planRemoveNetwork(b: RestoreBatch, net: FirewallNetwork): void {
  const from = fromChain(net.id);
  const to = toChain(net.id);
  const nat = natChain(net.id);
  replaceLines(b, 'filter', WEFT_FORWARD, [from, to], []);
  b.remove('filter', WEFT_ISOLATION, networkRules(net, 4).isolation);
  b.dropChain('filter', from);
  b.dropChain('filter', to);
  replaceLines(b, 'nat', WEFT_POSTROUTING, [nat], []);
  b.dropChain('nat', nat);
}

/** In a shared chain: drop lines that jump to `targets` but are not wanted, add wanted ones. */
function replaceLines(b: RestoreBatch, table: string, chain: string, targets: string[], wanted: string[]): void {
  for (const spec of new Set(b.rulesOf(table, chain))) {
    if (targets.some((t) => jumpsTo(spec, t)) && !wanted.includes(spec)) b.remove(table, chain, spec);
  }
  for (const spec of wanted) b.ensure(table, chain, spec);
}

export function planAddPorts(b: RestoreBatch, rules: PortRule[], family: Family): void {
  planInit(b, family);
  for (const r of rules) {
    const { chain, jump, dnat } = portRules(r);
    b.ensureChain('nat', chain);
    b.ensure('nat', WEFT_DNAT, jump);
    b.ensure('nat', chain, dnat);
  }
}

/** Remove the ports' DNAT rules, and a block chain (with its jump) once it is empty. */
export function planRemovePorts(b: RestoreBatch, rules: PortRule[]): void {
  const touched = new Map<string, string>();
  for (const r of rules) {
    const { chain, jump, dnat } = portRules(r);
    b.remove('nat', chain, dnat);
    touched.set(chain, jump);
  }
  for (const [chain, jump] of touched) {
    if (!b.hasChain('nat', chain)) continue;
    if ([...new Set(b.rulesOf('nat', chain))].some((spec) => b.count('nat', chain, spec) > 0)) continue;
    b.remove('nat', WEFT_DNAT, jump);
    b.dropChain('nat', chain);
  }
}

/** Published ports become exactly `rules`: other DNAT rules, block chains and their jumps go. */
export function planSyncPorts(b: RestoreBatch, rules: PortRule[], family: Family, dump: SaveDump): void {
  planInit(b, family);
  const want = new Map<string, { jump: string; dnats: Set<string> }>();
  for (const r of rules) {
    const { chain, jump, dnat } = portRules(r);
    const w = want.get(chain) ?? { jump, dnats: new Set() };
    want.set(chain, w.dnats.add(dnat) && w);
  }
  const keep = new Set([WEFT_DNAT_SKIP, ...[...want.values()].map((w) => w.jump)]); // input mode's skip is no port's
  for (const spec of new Set(b.rulesOf('nat', WEFT_DNAT))) if (!keep.has(spec)) b.remove('nat', WEFT_DNAT, spec);
  for (const chain of dump.get('nat')?.chains ?? []) if (chain.startsWith(`${WEFT_DNAT}-`) && !want.has(chain)) b.dropChain('nat', chain);
  for (const [chain, w] of want) {
    b.ensureChain('nat', chain);
    for (const spec of new Set(b.rulesOf('nat', chain))) if (!w.dnats.has(spec)) b.remove('nat', chain, spec);
    b.ensure('nat', WEFT_DNAT, w.jump);
    for (const dnat of w.dnats) b.ensure('nat', chain, dnat);
  }
}

/** Every WEFT-* chain and every rule elsewhere that jumps into one. */
export function planTeardown(b: RestoreBatch, dump: SaveDump): void {
  for (const [table, t] of dump) {
    const ours = [...t.chains].filter((c) => c.startsWith(PREFIX));
    if (!ours.length) continue;
    for (const [chain, specs] of t.rules) {
      if (chain.startsWith(PREFIX)) continue;
      for (const spec of new Set(specs)) if (ours.some((c) => jumpsTo(spec, c))) b.remove(table, chain, spec);
    }
    for (const c of ours) b.declare(table, c);
    for (const c of ours) b.dropChain(table, c);
  }
}
