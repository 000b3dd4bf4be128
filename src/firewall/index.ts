/**
 * The firewall: one rule model (model.ts), two backends. Drivers get a FirewallBackend
 * from createFirewall and never write rules themselves.
 */
import type { FirewallOptions } from './common.js';
import { IptablesBackend } from './iptables.js';
import type { FirewallBackend } from '../contracts/firewall.js';
import { NftablesBackend } from './nftables.js';

export type FirewallKind = 'iptables' | 'nftables';

export function createFirewall(kind: FirewallKind, opts: FirewallOptions = {}): FirewallBackend {
  switch (kind) {
    case 'iptables':
      return new IptablesBackend(opts);
    case 'nftables':
      return new NftablesBackend(opts);
    default:
      throw new Error(`unknown firewall backend "${String(kind)}" (iptables or nftables)`);
  }
}

export { IptablesBackend } from './iptables.js';
export { NftablesBackend, type NftablesOptions } from './nftables.js';
export type { FirewallOptions } from './common.js';
export type * from '../contracts/firewall.js';
