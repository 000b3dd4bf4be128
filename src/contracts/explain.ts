/**
 * The shared vocabulary of `weft network explain`: one new connection described as the
 * kernel sees it, and the rules that decided its fate, read from the live ruleset.
 */
import type { Protocol } from '../contracts/firewall.js';

/** One new connection, as it enters the host's netfilter hooks. */
export interface Flow {
  /** Interface the packet arrives on; undefined when the host itself sends it. */
  iif?: string;
  saddr: string;
  daddr: string;
  proto: Protocol;
  dport: number;
}

/** What the evaluator needs to know about the host: its addresses and its routes. */
export interface HostView {
  isLocal(addr: string): boolean;
  /** The interface a packet to addr leaves by (undefined: none known). */
  route(addr: string): string | undefined;
  /** The address a neighbour reaches the host by: that of the default route's interface, else any non-loopback one. */
  primaryAddress(family: 4 | 6): string | undefined;
}

/** One rule that matched (or the chain policy that applied), in evaluation order. */
export interface ExplainStep {
  table: string;
  chain: string;
  /** The rule as nft or iptables-save prints it (close enough to find it in a dump). */
  rule: string;
  /** What the rule does to this flow: accept, drop, jump X, dnat to A:P, return, … */
  action: string;
  /** Why weft wrote the rule, when it is one of weft's own. */
  meaning?: string;
}

export interface Explanation {
  verdict: 'accept' | 'drop';
  /** Where a published port sent it. */
  dnat?: { addr: string; port: number };
  /** Interface it leaves by (forwarded), or "local" when the host itself receives it. */
  egress?: string;
  steps: ExplainStep[];
  /** The rule (or chain policy) whose accept or drop decided the verdict; none when every chain let it pass. */
  decidedBy?: ExplainStep;
}

/** A network as an explanation names it: the owner of weft's chains for it. */
export interface ChainOwner {
  id: string;
  name: string;
  internal: boolean;
}

/** The daemon's reader of its live ruleset and host (addresses, routes). */
export interface LiveExplainer {
  host(): Promise<HostView>;
  /** networks: weft's networks, only to name the owners of its chains in the explanation. */
  explain(flow: Flow, host: HostView, networks: ChainOwner[]): Promise<Explanation>;
}
