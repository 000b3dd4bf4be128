/** Reading the per-element counters of the port-count sets out of `nft list set` text. */
import type { PortCounter, Protocol } from '../contracts/firewall.js';
import { TABLE } from './nft-rules.js';

/**
 * The commands listing both families' counting sets, one run each: nft 1.0.6 filters its
 * cache by the last list command of a script, so a two-set script fails on the first set.
 */
export const listCounterCommands = [`list set ${TABLE} port-count4`, `list set ${TABLE} port-count6`];

// An element as nft prints it: `10.0.0.2 . tcp . 80 counter packets 3 bytes 180`.
const ELEMENT = /([0-9a-fA-F.:]+) \. (tcp|udp|sctp) \. (\d+) counter packets (\d+) bytes (\d+)/g;

export function parseCounters(text: string): PortCounter[] {
  const out: PortCounter[] = [];
  for (const m of text.matchAll(ELEMENT)) {
    out.push({ containerIp: m[1], proto: m[2] as Protocol, containerPort: Number(m[3]), packets: Number(m[4]), bytes: Number(m[5]) });
  }
  return out;
}
