/**
 * nftables scripts for weft. Everything lives in `table inet weft` (one table, both
 * families). Per-network state is a few named chains plus elements in maps keyed by bridge
 * name or subnet, and a published port is only map/set elements — so adding or removing
 * one is an element change whose cost does not grow with the number of networks or ports.
 *
 *   forward (filter hook)   iifname vmap @net-from ; oifname vmap @net-to
 *   from-<id>  (from br)    oifname "br" accept|drop (icc); ct status dnat accept
 *                           (published ports); oifname @bridges drop (isolation);
 *                           accept (drop when internal)
 *   to-<id>    (into br)    ct state established,related accept; DNATed to a published
 *                           port accept; drop (just drop when internal)
 *                           (every rule of from-/to-<id> counts what it decides: metrics)
 *   raw-prerouting          loopback destinations not from lo drop (like Docker 28)
 *   prerouting / output     fib daddr type local jump ports  (output skips loopback;
 *                           prerouting DNATs loopback only from lo)
 *   ports                   dnat through @port-dnat4/6 (host ip . proto . port) and
 *                           @port-dnat4/6-any (proto . port)
 *   postrouting             ip saddr vmap @net-masq4 ; ip6 saddr vmap @net-masq6
 *   count (filter hook)     DNATed packets matched against @port-count4/6, whose elements
 *                           carry counters (per published port, client-to-container)
 *   nat-<id>                oifname != "br" masquerade; oifname "br" ct status dnat
 *                           masquerade (hairpin)
 *
 * Every script is idempotent: "add" of an existing object or identical element is a
 * no-op, and removals first add what they delete (nft 1.0.6 has no "destroy"), so a
 * missing piece never fails the transaction.
 */
import { checkIfName, shortId, subnetsOf, type PortRule } from './common.js';
import type { FirewallNetwork } from '../contracts/firewall.js';
import { masqueradesFamily, nftToExtras } from './gateway-modes.js';
import { nftOutbound } from './host-snat.js';

export const TABLE = 'inet weft';

/** The prefixes of a network's own chains, before its tag. */
export const NET_CHAINS = { from: 'from-', to: 'to-' };
export const fromChain = (id: string): string => `${NET_CHAINS.from}${shortId(id)}`;
export const toChain = (id: string): string => `${NET_CHAINS.to}${shortId(id)}`;
export const natChain = (id: string): string => `nat-${shortId(id)}`;

const SETS: [string, string][] = [
  ['set bridges', 'type ifname;'],
  ['map net-from', 'type ifname : verdict;'],
  ['map net-to', 'type ifname : verdict;'],
  ['map net-masq4', 'type ipv4_addr : verdict; flags interval;'],
  ['map net-masq6', 'type ipv6_addr : verdict; flags interval;'],
  ['map port-dnat4', 'type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service;'],
  ['map port-dnat4-any', 'type inet_proto . inet_service : ipv4_addr . inet_service;'],
  ['map port-dnat6', 'type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service;'],
  ['map port-dnat6-any', 'type inet_proto . inet_service : ipv6_addr . inet_service;'],
  ['set port-accept4', 'type ipv4_addr . inet_proto . inet_service;'],
  ['set port-accept6', 'type ipv6_addr . inet_proto . inet_service;'],
  // The same keys with a kernel counter per element, matched in `count` (read on scrape).
  ['set port-count4', 'type ipv4_addr . inet_proto . inet_service; counter;'],
  ['set port-count6', 'type ipv6_addr . inet_proto . inet_service; counter;'],
];

const BASE_CHAINS: [string, string, string[]][] = [
  ['forward', 'type filter hook forward priority filter; policy accept;', [
    'iifname vmap @net-from',
    'oifname vmap @net-to',
  ]],
  // A neighbour that routes 127.0.0.0/8 or ::1 to the host must not reach what is published there.
  ['raw-prerouting', 'type filter hook prerouting priority raw; policy accept;', [
    'iifname != "lo" ip daddr 127.0.0.0/8 drop',
    'iifname != "lo" ip6 daddr ::1 drop',
  ]],
  ['prerouting', 'type nat hook prerouting priority dstnat; policy accept;', [
    'iifname != "lo" ip daddr 127.0.0.0/8 return',
    'iifname != "lo" ip6 daddr ::1 return',
    'fib daddr type local jump ports',
  ]],
  // Like Docker: no DNAT for loopback destinations (that needs route_localnet).
  ['output', 'type nat hook output priority -100; policy accept;', [
    'ip daddr != 127.0.0.0/8 fib daddr type local jump ports',
    'ip6 daddr != ::1 fib daddr type local jump ports',
  ]],
  ['postrouting', 'type nat hook postrouting priority srcnat; policy accept;', [
    'ip saddr vmap @net-masq4',
    'ip6 saddr vmap @net-masq6',
  ]],
  // Every packet towards a published port, forwarded or from the host itself, after its DNAT.
  ['count', 'type filter hook postrouting priority filter; policy accept;', [
    'ct status dnat ip daddr . meta l4proto . th dport @port-count4',
    'ct status dnat ip6 daddr . meta l4proto . th dport @port-count6',
  ]],
  ['ports', '', [
    'dnat ip to ip daddr . meta l4proto . th dport map @port-dnat4',
    'dnat ip to meta l4proto . th dport map @port-dnat4-any',
    'dnat ip6 to ip6 daddr . meta l4proto . th dport map @port-dnat6',
    'dnat ip6 to meta l4proto . th dport map @port-dnat6-any',
  ]],
];

/** Create the table, sets, maps and base chains; rewrite the base chains' rules. */
export function initScript(): string {
  const out = [`add table ${TABLE}`];
  for (const [kind, body] of SETS) out.push(`add ${kind.replace(' ', ` ${TABLE} `)} { ${body} }`);
  for (const [name, spec] of BASE_CHAINS) out.push(`add chain ${TABLE} ${name}${spec ? ` { ${spec} }` : ''}`);
  for (const [name] of BASE_CHAINS) out.push(`flush chain ${TABLE} ${name}`);
  for (const [name, , rules] of BASE_CHAINS) for (const r of rules) out.push(`add rule ${TABLE} ${name} ${r}`);
  return lines(out);
}

export function teardownScript(): string {
  return lines([`add table ${TABLE}`, `delete table ${TABLE}`]);
}

/** The rules of one network's own chains. */
export function networkChains(net: FirewallNetwork): { from: string[]; to: string[]; nat?: string[] } {
  const br = quote(net.bridge);
  const icc = `oifname ${br} ${net.icc ? 'accept' : 'drop'}`;
  if (net.internal) return { from: [icc, 'drop'], to: ['drop'] };
  return {
    // DNATed traffic (a published port reached through a host address) may cross into
    // another network: its destination chain still admits only published ports, and only
    // through the DNAT (a neighbour routing the subnet via the host gets no direct path).
    from: [icc, 'ct status dnat accept', 'oifname @bridges drop', 'accept'],
    to: [
      'ct state established,related accept',
      'ct status dnat ip daddr . meta l4proto . th dport @port-accept4 accept',
      'ct status dnat ip6 daddr . meta l4proto . th dport @port-accept6 accept',
      ...nftToExtras(net),
      'drop',
    ],
    nat: [...(net.masquerade ? nftOutbound(net, br) : []), `oifname ${br} ct status dnat masquerade`],
  };
}

/** Add or replace one network. */
export function addNetworkScript(net: FirewallNetwork): string {
  const c = networkChains(net);
  const br = quote(net.bridge);
  const from = fromChain(net.id);
  const to = toChain(net.id);
  const out: string[] = [];
  for (const [name, rules] of [[from, c.from], [to, c.to]] as const) {
    out.push(`add chain ${TABLE} ${name}`, `flush chain ${TABLE} ${name}`);
    for (const r of rules) out.push(`add rule ${TABLE} ${name} ${counted(r)}`);
  }
  out.push(
    `add element ${TABLE} bridges { ${br} }`,
    `add element ${TABLE} net-from { ${br} : jump ${from} }`,
    `add element ${TABLE} net-to { ${br} : jump ${to} }`,
  );
  if (c.nat) {
    const nat = natChain(net.id);
    out.push(`add chain ${TABLE} ${nat}`, `flush chain ${TABLE} ${nat}`);
    for (const r of c.nat) out.push(`add rule ${TABLE} ${nat} ${r}`);
    out.push(...masqElements(net, 'add'));
  } else {
    // Internal (possibly replacing a non-internal definition): no NAT at all.
    out.push(...removeNat(net));
  }
  return lines(out);
}

/** The rule with a counter before its verdict: the per-network metrics read them (network-counters.ts). */
function counted(rule: string): string {
  return rule.replace(/(^| )(accept|drop)$/, '$1counter $2');
}

/** Remove one network exactly; missing pieces are fine. */
export function removeNetworkScript(net: FirewallNetwork): string {
  const br = quote(net.bridge);
  const from = fromChain(net.id);
  const to = toChain(net.id);
  const out = [
    `add chain ${TABLE} ${from}`,
    `add chain ${TABLE} ${to}`,
    `add element ${TABLE} bridges { ${br} }`,
    `add element ${TABLE} net-from { ${br} : jump ${from} }`,
    `add element ${TABLE} net-to { ${br} : jump ${to} }`,
    `delete element ${TABLE} bridges { ${br} }`,
    `delete element ${TABLE} net-from { ${br} }`,
    `delete element ${TABLE} net-to { ${br} }`,
    `flush chain ${TABLE} ${from}`,
    `flush chain ${TABLE} ${to}`,
    `delete chain ${TABLE} ${from}`,
    `delete chain ${TABLE} ${to}`,
    ...removeNat(net),
  ];
  return lines(out);
}

function removeNat(net: FirewallNetwork): string[] {
  const nat = natChain(net.id);
  return [
    `add chain ${TABLE} ${nat}`,
    ...masqElements(net, 'add', true),
    ...masqElements(net, 'delete', true),
    `flush chain ${TABLE} ${nat}`,
    `delete chain ${TABLE} ${nat}`,
  ];
}

/** Elements of the masqueraded families, or of both (`every`, for a removal that must find all). */
function masqElements(net: FirewallNetwork, op: 'add' | 'delete', every = false): string[] {
  const out: string[] = [];
  for (const [map, subnets, f] of [['net-masq4', net.subnets4, 4], ['net-masq6', net.subnets6, 6]] as const) {
    const s = every || masqueradesFamily(net, f) ? subnetsOf(subnets) : [];
    if (!s.length) continue;
    const elems = op === 'add' ? s.map((x) => `${x} : jump ${natChain(net.id)}`) : s;
    out.push(`${op} element ${TABLE} ${map} { ${elems.join(', ')} }`);
  }
  return out;
}

/** Map/set elements of published ports, grouped by map: key and (for maps) value. */
export function portElements(rules: PortRule[]): Map<string, Map<string, string | undefined>> {
  const by = new Map<string, Map<string, string | undefined>>();
  const put = (map: string, key: string, value?: string) => {
    let m = by.get(map);
    if (!m) by.set(map, (m = new Map()));
    m.set(key, value);
  };
  for (const r of rules) {
    checkIfName(r.bridge);
    const f = r.family;
    const target = `${r.containerIp} . ${r.containerPort}`;
    // A routed port is only opened by address (port-accept): nothing is translated.
    if (!r.routed && r.hostIp) put(`port-dnat${f}`, `${r.hostIp} . ${r.proto} . ${r.hostPort}`, target);
    else if (!r.routed) put(`port-dnat${f}-any`, `${r.proto} . ${r.hostPort}`, target);
    put(`port-accept${f}`, `${r.containerIp} . ${r.proto} . ${r.containerPort}`);
    put(`port-count${f}`, `${r.containerIp} . ${r.proto} . ${r.containerPort}`);
  }
  return by;
}

export function addPortsScript(rules: PortRule[]): string {
  return lines(elementCmds('add', portElements(rules)));
}

/** Published ports become exactly `rules`: every port map and set is rewritten in one transaction. */
export function syncPortsScript(rules: PortRule[]): string {
  const flush = SETS.filter(([kind]) => / port-/.test(kind)).map(([kind]) => `flush ${kind.replace(' ', ` ${TABLE} `)}`);
  return lines([...flush, ...elementCmds('add', portElements(rules))]);
}

export function removePortsScript(rules: PortRule[]): string {
  const els = portElements(rules);
  return lines([...elementCmds('add', els), ...elementCmds('delete', els)]);
}

function elementCmds(op: 'add' | 'delete', els: Map<string, Map<string, string | undefined>>): string[] {
  const out: string[] = [];
  for (const [map, entries] of els) {
    const items = [...entries].map(([k, v]) => (op === 'add' && v !== undefined ? `${k} : ${v}` : k));
    out.push(`${op} element ${TABLE} ${map} { ${items.join(', ')} }`);
  }
  return out;
}

function quote(ifname: string): string {
  return `"${checkIfName(ifname)}"`;
}

function lines(ls: string[]): string {
  return `${ls.join('\n')}\n`;
}
