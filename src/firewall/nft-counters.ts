/**
 * Reading the per-element counters of the port-count sets over netfilter netlink: one
 * set-element dump per family, the keys decoded here (see Nfnl for why not `nft list set`).
 */
import type { PortCounter, Protocol } from '../contracts/firewall.js';
import { NFPROTO_INET, type Nfnl, type SetElement } from '../kernel/nfnetlink.js';
import { bufferToIp } from '../util/ip.js';
import { TABLE } from './nft-rules.js';

const [, TABLE_NAME] = TABLE.split(' ');
const PROTOS: Record<number, Protocol> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };

/**
 * One element of `ipvN_addr . inet_proto . inet_service`: each part of a concatenated key
 * fills whole 32-bit registers (address, then the protocol byte, then the port, big-endian).
 */
export function decodeCountElement(el: SetElement, family: 4 | 6): PortCounter | undefined {
  const a = family === 4 ? 4 : 16;
  const proto = PROTOS[el.key[a]];
  const c = el.counter;
  if (el.key.length < a + 8 || !proto || !c) return undefined;
  const containerIp = bufferToIp(el.key.subarray(0, a));
  return { containerIp, proto, containerPort: el.key.readUInt16BE(a + 4), packets: c.packets, bytes: c.bytes };
}

/** Both families' counting sets; none while the table is missing (a flushed ruleset). */
export async function readPortCounters(nl: Nfnl): Promise<PortCounter[]> {
  const out: PortCounter[] = [];
  for (const f of [4, 6] as const) {
    const els = await nl.setElements(NFPROTO_INET, TABLE_NAME, `port-count${f}`).catch(() => []);
    for (const el of els) {
      const c = decodeCountElement(el, f);
      if (c) out.push(c);
    }
  }
  return out;
}
