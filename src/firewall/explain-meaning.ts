/**
 * Why weft wrote a rule that decided a flow, in words: recognised from weft's own chain
 * names and rule text. `networks` names the network behind a chain's short id.
 */
import type { ChainOwner, ExplainStep } from '../contracts/explain.js';

/** iptables chains named like the nftables ones (WEFT-FROM-<id> as from-<id>), the rest by their job. */
const IPTABLES_KINDS: Record<string, string> = {
  'WEFT-RAW-PREROUTING': 'raw-prerouting', 'WEFT-ISOLATION': 'isolation', 'WEFT-PORTS': 'published', 'WEFT-ROUTED': 'routed',
};

function ownerOf(chain: string, networks: Map<string, ChainOwner>): { kind: string; net?: ChainOwner } {
  const m = /^(?:(from|to|nat)-|WEFT-(FROM|TO|NAT)-)(.+)$/.exec(chain);
  if (m) return { kind: (m[1] ?? m[2]!).toLowerCase(), net: networks.get(m[3]!) };
  if (chain.startsWith('WEFT-DNAT')) return { kind: 'ports' };
  return { kind: IPTABLES_KINDS[chain] ?? chain };
}

/** iptables rule text in the words of the nftables rule that does the same. */
function asNft(r: string): string {
  return r
    .replace(/^-o (\S+) -j (ACCEPT|DROP)$/, (_, br: string, v: string) => `oifname "${br}" ${v.toLowerCase()}`)
    .replace(/^-m conntrack --ctstate DNAT -j ACCEPT$/, 'ct status dnat accept')
    .replace(/^-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT$/, 'ct state established,related accept')
    .replace(/^-j (ACCEPT|DROP)$/, (_, v: string) => v.toLowerCase());
}

export function meaningOf(s: ExplainStep, networks: Map<string, ChainOwner>): string | undefined {
  const { kind, net } = ownerOf(s.chain, networks);
  const n = net ? `network ${net.name}` : 'this network';
  const r = asNft(s.rule);
  if (kind === 'isolation' && s.action === 'drop') return 'isolation: a network may not reach another network';
  if (kind === 'published' && s.action === 'accept') return 'published port, reached through its DNAT';
  if (kind === 'routed' && s.action === 'accept') return 'published container port opened by address (routed mode or direct routing)';
  if (s.action.startsWith('not evaluated')) return 'a rule weft does not write: not evaluated';
  if (kind === 'raw-prerouting' && s.action === 'drop') return 'direct routing protection: a loopback destination not from lo';
  if (kind === 'ports' && s.action.startsWith('dnat')) return `published port: ${s.action}`;
  if (kind === 'from') {
    if (/^oifname "[^"]+" accept$/.test(r)) return `ICC on: containers of ${n} reach each other`;
    if (/^oifname "[^"]+" drop$/.test(r)) return `ICC off: containers of ${n} may not reach each other`;
    if (r === 'ct status dnat accept') return 'a published port: its DNAT may cross networks';
    if (r.startsWith('-j WEFT-ISOLATION')) return undefined;
    if (r === 'oifname @bridges drop') return `isolation: ${n} may not reach another network`;
    if (r === 'drop') return `internal network: nothing leaves ${n}`;
    if (r === 'accept') return `${n} reaches the outside`;
  }
  if (kind === 'to') return toMeaning(r, n, net);
  if (kind === 'to' && r === 'accept') return `gateway mode nat-unprotected: ${n} is open by address`;
  if (kind === 'nat' && s.action === 'masquerade') return `gateway mode nat: ${n} is masqueraded`;
  return undefined;
}

function toMeaning(r: string, n: string, net: ChainOwner | undefined): string | undefined {
  if (r.startsWith('ct state')) return 'a reply to a connection already allowed';
  if (r.startsWith('ct status dnat') && r.includes('@port-accept')) return `published port of ${n}, reached through its DNAT`;
  if (r.startsWith('iifname') && r.includes('@port-accept')) return 'published container port opened by address to a trusted interface';
  if (r.includes('@port-accept')) return `published container port opened by address (gateway mode routed or direct routing allowed)`;
  if (r.startsWith('meta nfproto')) return `gateway mode nat-unprotected: ${n} is open by address`;
  if (r.includes('icmp accept')) return 'gateway mode routed: ICMP by address';
  if (r === 'drop') {
    return net?.internal ? `internal network: nothing enters ${n}` : `gateway mode nat: ${n} is entered only through a published port`;
  }
  return undefined;
}
