/** What both ruleset evaluators share: the packet a flow starts as, and the explanation it ends in. */
import type { ExplainStep, Explanation, Flow, HostView } from '../contracts/explain.js';
import type { Packet } from './nft-json.js';

export function startPacket(flow: Flow, host: HostView): Packet {
  return {
    iif: flow.iif ?? '', oif: '', saddr: flow.saddr, daddr: flow.daddr, proto: flow.proto, dport: flow.dport,
    dnat: false, local: host.isLocal(flow.daddr), orig: { daddr: flow.daddr, dport: flow.dport },
  };
}

/** The explanation, naming the last accept or drop on the path as what decided it. */
export function explanation(verdict: 'accept' | 'drop', steps: ExplainStep[], p: Packet, egress?: string): Explanation {
  const decidedBy = [...steps].reverse().find((x) => x.action === 'accept' || x.action === 'drop');
  return {
    verdict, steps, ...(decidedBy ? { decidedBy } : {}),
    ...(p.dnat ? { dnat: { addr: p.daddr, port: p.dport } } : {}), ...(egress ? { egress } : {}),
  };
}
