/** A firewall backend whose every rule-changing call is timed as one firewall transaction. */
import type { FirewallBackend } from '../contracts/firewall.js';
import { timed } from './registry.js';

const CHANGES = ['init', 'addNetwork', 'removeNetwork', 'addPortMappings', 'removePortMappings', 'syncPortMappings', 'teardown'] as const;

export function timedFirewall(fw: FirewallBackend): FirewallBackend {
  const wrapped: FirewallBackend = Object.create(fw);
  for (const m of CHANGES) {
    const call = fw[m].bind(fw) as (...args: unknown[]) => Promise<void>;
    Object.defineProperty(wrapped, m, { value: (...args: unknown[]) => timed('firewall_transaction', fw.name, () => call(...args)) });
  }
  return wrapped;
}
