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

type CountKey = Omit<PortCounter, 'packets' | 'bytes'>;

/**
 * The key of one element of `ipvN_addr . inet_proto . inet_service`: each part of a
 * concatenated key fills whole 32-bit registers (address, then the protocol byte, then the
 * port, big-endian).
 */
export function decodeCountKey(key: Buffer, family: 4 | 6): CountKey | undefined {
  const a = family === 4 ? 4 : 16;
  const proto = PROTOS[key[a]];
  if (key.length < a + 8 || !proto) return undefined;
  return { containerIp: bufferToIp(key.subarray(0, a)), proto, containerPort: key.readUInt16BE(a + 4) };
}

/** One element with its counter; undefined for an element of another shape or without a counter. */
export function decodeCountElement(el: SetElement, family: 4 | 6): PortCounter | undefined {
  const key = decodeCountKey(el.key, family);
  return key && el.counter ? { ...key, packets: el.counter.packets, bytes: el.counter.bytes } : undefined;
}

/**
 * Reads both families' counting sets (none while the table is missing: a flushed ruleset),
 * decoding each distinct element key once: a scrape then makes no address strings, and
 * hands out the same containerIp strings each time, which keeps the caller's lookups cheap.
 */
export class PortCounterReader {
  private keys = new Map<string, CountKey | null>();

  async read(nl: Nfnl): Promise<PortCounter[]> {
    const out: PortCounter[] = [];
    const seen = new Map<string, CountKey | null>();
    for (const f of [4, 6] as const) {
      const els = await nl.setElements(NFPROTO_INET, TABLE_NAME, `port-count${f}`).catch(() => []);
      for (const el of els) {
        const raw = `${f}${el.key.toString('latin1')}`;
        let key = this.keys.get(raw);
        key ??= decodeCountKey(el.key, f) ?? null;
        seen.set(raw, key);
        const c = el.counter;
        if (!key || !c) continue;
        out.push({ proto: key.proto, containerIp: key.containerIp, containerPort: key.containerPort, packets: c.packets, bytes: c.bytes });
      }
    }
    this.keys = seen;
    return out;
  }
}
