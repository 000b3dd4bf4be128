/**
 * rtnetlink for weft, on the `netlink` package: links (bridge, veth, vxlan), addresses,
 * routes, neighbours and FDB entries. A handle is bound to one network namespace: the
 * socket is created while the thread is inside it (see netns.ts), after which every
 * request on it acts there, whatever namespace the daemon itself is in.
 */
import fs from 'node:fs';
import { AttrStream, createRtNetlink, Flags, FlagsGet, rt, type RtNetlinkSocket, type StreamData } from 'netlink';
import { Serial } from '../util/lock.js';
import { AF_INET, AF_INET6, bufferToIp, familyOf, ipToBuffer, macToBuffer, splitCidr } from '../util/ip.js';
import { inNetns } from './netns.js';
import { type BatchRequest, sendBatch } from './rtnl-batch.js';
import { codeOf, flat, linkInfo, type LinkInfo, toLinkInfo, type VethIndexes, vethIndexes } from './rtnl-messages.js';
import { addressRequest, hairpinRequest, type LinkChange, linkBasics, type LinkOptions, setLinkRequest,
  vethRequest } from './rtnl-requests.js';

export type { LinkInfo, VethIndexes } from './rtnl-messages.js';
export type { LinkChange, LinkOptions } from './rtnl-requests.js';

const F_CREATE = 0x400;
const F_EXCL = 0x200;
const F_REPLACE = 0x100;
const AF_BRIDGE = 7;
const RTM_GETLINK = 18;
const RTM_GETADDR = 22;
const RTM_GETROUTE = 26;
/** A dump that keeps meeting a changing table is retried this many times before it fails. */
const DUMP_ATTEMPTS = 10;

export interface RouteInfo {
  family: number;
  /** CIDR, "default" route as 0.0.0.0/0 or ::/0 */
  dst: string;
  gateway?: string;
  oif?: number;
  table: number;
}

/** Errors from the kernel keep their code so callers can treat EEXIST/ENODEV as they wish. */
export class NetlinkError extends Error {
  constructor(readonly code: string, readonly op: string) {
    super(`${op}: ${code}`);
  }
}

export class Rtnl {
  /**
   * One request at a time on the socket: the kernel refuses a second dump while one is
   * running (EBUSY), and a reply that lands in the middle of a dump breaks its multipart.
   */
  private readonly queue = new Serial();

  private constructor(private readonly sock: RtNetlinkSocket, readonly nsPath?: string) {}

  /** A handle acting in the namespace at nsPath, or in the caller's own when omitted. */
  static open(nsPath?: string): Rtnl {
    return new Rtnl(inNetns(nsPath, () => createRtNetlink()), nsPath);
  }

  close(): void {
    this.sock.socket.close();
  }

  private send<T>(request: () => Promise<T>): Promise<T> {
    return this.queue.run(request);
  }

  private async call<T>(op: string, request: () => Promise<T>): Promise<T> {
    try {
      return await this.send(request);
    } catch (err) {
      throw new NetlinkError(codeOf(err), op);
    }
  }

  /**
   * Requests sent in one sendmsg and answered together (rtnl-batch.ts): each one's messages before its ack.
   * Every request is tried; the first that failed is thrown, after all were answered.
   */
  async batch(requests: BatchRequest[]): Promise<rt.Message[][]> {
    const replies = await this.send(() => sendBatch(this.sock.socket, requests));
    const failed = replies.findIndex((r) => r.code);
    if (failed >= 0) throw new NetlinkError(replies[failed].code!, requests[failed].op);
    return replies.map((r) => r.msgs.map((m) => rt.parseMessage(m.type, m.data)));
  }

  /**
   * A full dump of one table. The kernel flags a dump whose table changed under it
   * (NLM_F_DUMP_INTR) and may answer EBUSY: both are asked again, as iproute2 does.
   */
  private async dump<M extends rt.Message>(op: string, type: number, format: (out: AttrStream) => void): Promise<M[]> {
    const body = new AttrStream();
    format(body);
    for (let attempt = 1; ; attempt++) {
      let code: string;
      try {
        const [msgs] = await this.send(() => this.sock.socket.request(type, body.bufs, { flags: FlagsGet.DUMP }));
        if (!msgs.some((m) => m.flags & Flags.DUMP_INTR)) return msgs.map((m) => rt.parseMessage(m.type, m.data) as M);
        code = 'EINTR';
      } catch (err) {
        code = codeOf(err);
        if (code !== 'EBUSY') throw new NetlinkError(code, op);
      }
      if (attempt >= DUMP_ATTEMPTS) throw new NetlinkError(code, op);
    }
  }

  // ---- links ----

  async links(): Promise<LinkInfo[]> {
    const msgs = await this.dump<rt.LinkMessage>('list links', RTM_GETLINK,
      (o) => rt.formatLinkMessage({ kind: 'link', data: {}, attrs: {} }, o));
    return msgs.map((m) => toLinkInfo(m));
  }

  async link(name: string): Promise<LinkInfo | undefined> {
    try {
      const [m] = await this.send(() => this.sock.getLink({}, { ifname: name }));
      return m && toLinkInfo(m);
    } catch (err) {
      if (codeOf(err) === 'ENODEV') return undefined;
      throw new NetlinkError(codeOf(err), `get link ${name}`);
    }
  }

  async requireLink(name: string): Promise<LinkInfo> {
    const l = await this.link(name);
    if (!l) throw new NetlinkError('ENODEV', `link ${name}`);
    return l;
  }

  async createBridge(name: string, opts: LinkOptions = {}): Promise<void> {
    await this.call(`create bridge ${name}`, () =>
      this.sock.newLink({}, {
        ifname: name,
        ...linkBasics(opts),
        linkinfo: linkInfo('bridge'),
      }, { flags: F_CREATE | F_EXCL }));
  }

  /**
   * A veth pair whose peer is born inside another namespace (peerNsPath), so it never needs a move; see vethRequest.
   * Returns both ends' indexes from the kernel's echo of the create, so no lookup follows it.
   */
  async createVeth(name: string, peer: { name: string; nsPath?: string } & LinkOptions,
    opts: LinkOptions & { up?: boolean; master?: number } = {}): Promise<VethIndexes> {
    const [echo] = await this.withNetnsFd(peer.nsPath, (nsFd) => this.batch([vethRequest(name, { ...peer, nsFd }, opts)]));
    return echoedVeth(echo, name);
  }

  /**
   * A veth made as createVeth does and, in the same batch, its hairpin mode set (the host end of a container's pair
   * on a bridge it must reach itself through). When only the hairpin failed, the new pair is deleted again.
   */
  async createHairpinVeth(name: string, peer: { name: string; nsPath?: string } & LinkOptions,
    opts: LinkOptions & { up?: boolean; master?: number }): Promise<VethIndexes> {
    const hairpin = hairpinRequest(name, true);
    try {
      const [echo] = await this.withNetnsFd(peer.nsPath, (nsFd) => this.batch([vethRequest(name, { ...peer, nsFd }, opts), hairpin]));
      return echoedVeth(echo, name);
    } catch (err) {
      if (err instanceof NetlinkError && err.op === hairpin.op) await this.deleteLink(name).catch(() => undefined);
      throw err;
    }
  }

  /** fn with an open fd of the namespace at nsPath (none without one), closed after. */
  private async withNetnsFd<T>(nsPath: string | undefined, fn: (nsFd: number | undefined) => Promise<T>): Promise<T> {
    const nsFd = nsPath ? fs.openSync(nsPath, 'r') : undefined;
    try {
      return await fn(nsFd);
    } finally {
      if (nsFd !== undefined) fs.closeSync(nsFd);
    }
  }

  /** Any link kind whose IFLA_INFO_DATA the caller encodes (e.g. ifla.formatVxlan). */
  async createLink(name: string, kind: string, data: StreamData | undefined, opts: LinkOptions = {}): Promise<void> {
    await this.call(`create ${kind} ${name}`, () =>
      this.sock.newLink({}, {
        ifname: name,
        ...linkBasics(opts),
        linkinfo: linkInfo(kind, data ? flat(data) : undefined),
      }, { flags: F_CREATE | F_EXCL }));
  }

  async setLink(index: number, change: LinkChange): Promise<void> {
    await this.withNetnsFd(change.nsPath, (nsFd) => this.batch([setLinkRequest(index, change, nsFd)]));
  }

  /** Delete by name; a missing link is not an error (idempotent teardown). */
  async deleteLink(name: string): Promise<boolean> {
    try {
      await this.send(() => this.sock.delLink({}, { ifname: name }));
      return true;
    } catch (err) {
      if (codeOf(err) === 'ENODEV') return false;
      throw new NetlinkError(codeOf(err), `delete link ${name}`);
    }
  }

  // ---- addresses ----

  /** Add "ip/prefix" to a link; an address already present is fine. */
  async addAddress(index: number, cidr: string, opts: { nodad?: boolean } = {}): Promise<void> {
    await this.batch([addressRequest(index, cidr, opts)]);
  }

  async deleteAddress(index: number, cidr: string): Promise<void> {
    const { ip, prefix } = splitCidr(cidr);
    const buf = ipToBuffer(ip);
    try {
      await this.send(() => this.sock.delAddress({ family: familyOf(ip), prefixlen: prefix, index }, { local: buf, address: buf }));
    } catch (err) {
      if (!['EADDRNOTAVAIL', 'ENODEV'].includes(codeOf(err))) throw new NetlinkError(codeOf(err), `delete address ${cidr}`);
    }
  }

  async addresses(index?: number): Promise<{ index: number; cidr: string }[]> {
    const msgs = await this.dump<rt.AddressMessage>('list addresses', RTM_GETADDR,
      (o) => rt.formatAddressMessage({ kind: 'address', data: {}, attrs: {} }, o));
    return msgs
      .filter((m) => index === undefined || m.data.index === index)
      .filter((m) => m.attrs.address)
      .map((m) => ({ index: m.data.index ?? 0, cidr: `${bufferToIp(m.attrs.address!)}/${m.data.prefixlen}` }));
  }

  // ---- routes ----

  /** Add (or replace) a route; dst "default" or CIDR. */
  async addRoute(r: { dst: string; gateway?: string; oif?: number; metric?: number }): Promise<void> {
    const v6 = r.dst === 'default' ? (r.gateway ? familyOf(r.gateway) === AF_INET6 : false) : familyOf(splitCidr(r.dst).ip) === AF_INET6;
    const family = v6 ? AF_INET6 : AF_INET;
    const dst = r.dst === 'default' ? undefined : splitCidr(r.dst);
    await this.call(`add route ${r.dst}`, () =>
      this.sock.newRoute(
        { family, dstLen: dst?.prefix ?? 0, table: 254, protocol: 'BOOT', scope: r.gateway ? 'UNIVERSE' : 'LINK', type: 'UNICAST' },
        {
          ...(dst ? { dst: ipToBuffer(dst.ip) } : {}),
          ...(r.gateway ? { gateway: ipToBuffer(r.gateway) } : {}),
          ...(r.oif ? { oif: r.oif } : {}),
          ...(r.metric ? { priority: r.metric } : {}),
        },
        { flags: F_CREATE | F_REPLACE },
      ));
  }

  async deleteRoute(r: { dst: string; gateway?: string; oif?: number }): Promise<void> {
    const v6 = r.dst === 'default' ? (r.gateway ? familyOf(r.gateway) === AF_INET6 : false) : familyOf(splitCidr(r.dst).ip) === AF_INET6;
    const dst = r.dst === 'default' ? undefined : splitCidr(r.dst);
    try {
      await this.send(() => this.sock.delRoute(
        { family: v6 ? AF_INET6 : AF_INET, dstLen: dst?.prefix ?? 0, table: 254 },
        {
          ...(dst ? { dst: ipToBuffer(dst.ip) } : {}),
          ...(r.gateway ? { gateway: ipToBuffer(r.gateway) } : {}),
          ...(r.oif ? { oif: r.oif } : {}),
        },
      ));
    } catch (err) {
      if (codeOf(err) !== 'ESRCH') throw new NetlinkError(codeOf(err), `delete route ${r.dst}`);
    }
  }

  async routes(family: number = AF_INET): Promise<RouteInfo[]> {
    const msgs = await this.dump<rt.RouteMessage>('list routes', RTM_GETROUTE,
      (o) => rt.formatRouteMessage({ kind: 'route', data: { family }, attrs: {} }, o));
    return msgs
      .filter((m) => m.data.family === family)
      .map((m) => {
        const zero = family === AF_INET6 ? '::' : '0.0.0.0';
        return {
          family,
          dst: `${m.attrs.dst ? bufferToIp(m.attrs.dst) : zero}/${m.data.dstLen ?? 0}`,
          ...(m.attrs.gateway ? { gateway: bufferToIp(m.attrs.gateway) } : {}),
          ...(m.attrs.oif ? { oif: m.attrs.oif } : {}),
          table: m.attrs.table ?? m.data.table ?? 0,
        };
      });
  }

  // ---- neighbours and FDB (overlay) ----

  /** Permanent IP -> MAC entry on a link. */
  async setNeighbor(index: number, ip: string, mac: string): Promise<void> {
    await this.call(`neighbor ${ip}`, () =>
      this.sock.newNeighbor(
        { family: familyOf(ip), ifindex: index, state: { permanent: true } },
        { dst: ipToBuffer(ip), lladdr: macToBuffer(mac) },
        { flags: F_CREATE | F_REPLACE },
      ));
  }

  async deleteNeighbor(index: number, ip: string): Promise<void> {
    try {
      await this.send(() => this.sock.delNeighbor({ family: familyOf(ip), ifindex: index }, { dst: ipToBuffer(ip) }));
    } catch (err) {
      if (!['ENOENT', 'ESRCH'].includes(codeOf(err))) throw new NetlinkError(codeOf(err), `delete neighbor ${ip}`);
    }
  }

  /** Static FDB entry on a vxlan device: MAC reachable through the remote VTEP. */
  async setFdb(index: number, mac: string, vtep: string): Promise<void> {
    await this.call(`fdb ${mac}`, () =>
      this.sock.newNeighbor(
        { family: AF_BRIDGE, ifindex: index, state: { permanent: true }, flags: { self: true } as never },
        { lladdr: macToBuffer(mac), dst: ipToBuffer(vtep) },
        { flags: F_CREATE | F_REPLACE },
      ));
  }

  async deleteFdb(index: number, mac: string, vtep: string): Promise<void> {
    try {
      await this.send(() => this.sock.delNeighbor(
        { family: AF_BRIDGE, ifindex: index, flags: { self: true } as never },
        { lladdr: macToBuffer(mac), dst: ipToBuffer(vtep) },
      ));
    } catch (err) {
      if (!['ENOENT', 'ESRCH'].includes(codeOf(err))) throw new NetlinkError(codeOf(err), `delete fdb ${mac}`);
    }
  }
}

/** Both ends' indexes from the echo of a veth create. */
function echoedVeth(echo: rt.Message[], name: string): VethIndexes {
  return vethIndexes(echo.find((m): m is rt.LinkMessage => m.kind === 'link' && m.attrs.ifname === name));
}
