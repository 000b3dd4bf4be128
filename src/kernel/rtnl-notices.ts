/**
 * rtnetlink notifications (one datagram of RTM_NEW/DEL LINK, ADDR, ROUTE) as plain objects
 * that cross a worker boundary: prefixes in CIDR text, interfaces by index, link names.
 * Parsed with the `netlink` package's pure-JS parsers (no socket of its binding involved).
 */
import { parseMessages } from 'netlink/dist/structs.js';
import { parseMessage } from 'netlink/dist/rt/structs.js';
import { AF_INET, bufferToIp } from '../util/ip.js';

export type RtNotice =
  | { kind: 'route'; prefix: string; table: number; oif?: number }
  | { kind: 'address'; prefix: string; index: number }
  | { kind: 'link'; index: number; name?: string; gone: boolean };

const RTM_DELLINK = 17;

/** The notices of one datagram; throws on one that is not rtnetlink as the kernel writes it. */
export function parseNotices(datagram: Buffer): RtNotice[] {
  const out: RtNotice[] = [];
  for (const raw of parseMessages(datagram)) {
    const m = parseMessage(raw.type, raw.data);
    if (m.kind === 'route') {
      const wildcard = m.data.family === AF_INET ? '0.0.0.0' : '::';
      out.push({
        kind: 'route', prefix: `${m.attrs.dst ? bufferToIp(m.attrs.dst) : wildcard}/${m.data.dstLen ?? 0}`,
        table: m.attrs.table ?? m.data.table ?? 0, ...(m.attrs.oif !== undefined ? { oif: m.attrs.oif } : {}),
      });
    } else if (m.kind === 'address' && m.attrs.address) {
      out.push({ kind: 'address', prefix: `${bufferToIp(m.attrs.address)}/${m.data.prefixlen ?? 0}`, index: m.data.index ?? 0 });
    } else if (m.kind === 'link' && !m.data.family) {
      // AF_BRIDGE messages (bridge port state) share the group; only plain link messages name links.
      const name = m.attrs.ifname ? { name: m.attrs.ifname } : {};
      out.push({ kind: 'link', index: m.data.index ?? 0, ...name, gone: raw.type === RTM_DELLINK });
    }
  }
  return out;
}
