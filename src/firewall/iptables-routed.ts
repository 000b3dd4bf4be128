/**
 * The iptables plans of published ports opened by container address: one accept rule per
 * container port in WEFT-ROUTED, jumped to from a routed family's into-bridge chain (no DNAT)
 * or from a network's direct-access rules (beside the DNAT).
 */
import type { PortRule } from './common.js';
import type { FirewallNetwork } from '../contracts/firewall.js';
import type { Family } from './common.js';
import { gatewayMode, routedAccept, WEFT_ROUTED } from './gateway-modes.js';
import type { RestoreBatch } from './iptables-rules.js';
import { opensDirectly } from './direct-access.js';

/** The chain exists only once a routed network jumps to it (the base layout stays Docker's). */
export function planRoutedChain(b: RestoreBatch, net: FirewallNetwork, family: Family): void {
  if (gatewayMode(net, family) === 'routed' || opensDirectly(net, family)) b.ensureChain('filter', WEFT_ROUTED);
}

export function planRoutedPorts(b: RestoreBatch, rules: PortRule[], op: 'add' | 'remove'): void {
  b.ensureChain('filter', WEFT_ROUTED);
  for (const r of rules) {
    if (op === 'add') b.ensure('filter', WEFT_ROUTED, routedAccept(r));
    else b.remove('filter', WEFT_ROUTED, routedAccept(r));
  }
}

/** WEFT-ROUTED becomes exactly these ports' rules. */
export function planSyncRouted(b: RestoreBatch, rules: PortRule[]): void {
  b.ensureChain('filter', WEFT_ROUTED);
  const want = new Set(rules.map(routedAccept));
  for (const spec of new Set(b.rulesOf('filter', WEFT_ROUTED))) if (!want.has(spec)) b.remove('filter', WEFT_ROUTED, spec);
  for (const spec of want) b.ensure('filter', WEFT_ROUTED, spec);
}
