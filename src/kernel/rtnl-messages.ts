/**
 * The message side of rtnetlink for rtnl.ts: encoding attributes the `netlink` package
 * leaves raw, and reading links and the kernel's error codes out of its replies.
 */
import { AttrStream, ifla, type rt, type StreamData } from 'netlink';
import { bufferToMac } from '../util/ip.js';

export interface LinkInfo {
  index: number;
  name: string;
  kind?: string;
  mtu: number;
  mac?: string;
  master?: number;
  up: boolean;
}

/** Interface indexes of a new veth pair, each in its own namespace; undefined when the kernel did not echo the create. */
export interface VethIndexes {
  index?: number;
  peerIndex?: number;
}

export function codeOf(err: unknown): string {
  const m = /Request rejected: (\w+)/.exec(String((err as Error)?.message ?? err));
  return m ? m[1] : 'EUNKNOWN';
}

export function flat(data: StreamData): Buffer {
  const s = new AttrStream();
  s.emit(data);
  return Buffer.concat(s.bufs);
}

export function linkInfo(kind: string, data?: Buffer): Buffer {
  return flat(ifla.formatInfo(data ? { kind, data } : { kind }));
}

/** The ifinfomsg of a new link: administratively up when asked, else as the kernel makes it. */
export const upFlags = (up: boolean | undefined): rt.Link => (up ? { flags: { up: true }, change: { up: true } } : {});

/** IFLA_LINK of a veth is its peer's index (a u32, in the peer's namespace). */
export function vethIndexes(m: rt.LinkMessage | undefined): VethIndexes {
  const link = m?.attrs.link;
  return {
    ...(m?.data.index ? { index: m.data.index } : {}),
    ...(link && link.length >= 4 ? { peerIndex: link.readUInt32LE(0) } : {}),
  };
}

export function toLinkInfo(m: rt.LinkMessage): LinkInfo {
  let kind: string | undefined;
  if (m.attrs.linkinfo) {
    try { kind = ifla.parseInfo(m.attrs.linkinfo).kind; } catch { /* unknown layout */ }
  }
  return {
    index: m.data.index ?? 0,
    name: m.attrs.ifname ?? '',
    kind,
    mtu: m.attrs.mtu ?? 0,
    mac: m.attrs.address ? bufferToMac(m.attrs.address) : undefined,
    master: m.attrs.master,
    up: !!m.data.flags?.up,
  };
}
