/**
 * Why weft wrote a rule that decided a flow, in words: recognised from weft's own chain
 * names and rule text. `networks` names the network behind a chain's short id.
 */
import type { ChainOwner, ExplainStep } from '../contracts/explain.js';

function ownerOf(chain: string, networks: Map<string, ChainOwner>): { kind: string; net?: ChainOwner } {
  const m = /^(from|to|nat)-(.+)$/.exec(chain);
  return m ? { kind: m[1]!, net: networks.get(m[2]!) } : { kind: chain };
}

export function meaningOf(s: ExplainStep, networks: Map<string, ChainOwner>): string | undefined {
  const { kind, net } = ownerOf(s.chain, networks);
  const n = net ? `network ${net.name}` : 'this network';
  const r = s.rule;
  if (s.action.startsWith('not evaluated')) return 'a rule weft does not write: not evaluated';
  if (kind === 'raw-prerouting' && s.action === 'drop') return 'direct routing protection: a loopback destination not from lo';
  if (kind === 'ports' && s.action.startsWith('dnat')) return `published port: ${s.action}`;
  if (kind === 'from') {
    if (/^oifname "[^"]+" accept$/.test(r)) return `ICC on: containers of ${n} reach each other`;
    if (/^oifname "[^"]+" drop$/.test(r)) return `ICC off: containers of ${n} may not reach each other`;
    if (r === 'ct status dnat accept') return 'a published port: its DNAT may cross networks';
    if (r === 'oifname @bridges drop') return `isolation: ${n} may not reach another network`;
    if (r === 'drop') return `internal network: nothing leaves ${n}`;
    if (r === 'accept') return `${n} reaches the outside`;
  }
  if (kind === 'to') return toMeaning(r, n, net);
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
