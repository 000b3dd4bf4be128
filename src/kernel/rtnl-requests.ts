/**
 * rtnetlink requests as messages, for Rtnl to send alone or several in one batch
 * (rtnl-batch.ts). Files a request names (namespace fds) must stay open until it is sent.
 */
import { AttrStream, ifla, rt } from 'netlink';
import { AF_INET6, familyOf, ipToBuffer, macToBuffer, splitCidr } from '../util/ip.js';
import type { BatchRequest } from './rtnl-batch.js';
import { flat, linkInfo, upFlags } from './rtnl-messages.js';

const RTM_NEWLINK = 16;
const RTM_SETLINK = 19;
const RTM_NEWADDR = 20;
const F_CREATE = 0x400;
const F_EXCL = 0x200;
/** NLM_F_ECHO: the kernel answers a create with the new link's message (its index, and a veth's peer index). */
const F_ECHO = 0x8;
const VETH_INFO_PEER = 1;
const IFLA_BRPORT_MODE = 4;

/** Attributes a link change sets; absent ones stay as they are. */
export interface LinkChange {
  up?: boolean;
  master?: number;
  mtu?: number;
  mac?: string;
  name?: string;
  nsPath?: string;
}

export interface LinkOptions {
  mtu?: number;
  mac?: string;
}

/** The other end of a new veth: its name, and the namespace (an open fd of it) it is born in. */
export interface VethPeer extends LinkOptions {
  name: string;
  nsFd?: number;
}

/** The attributes every link message may carry: MTU and MAC when given. */
export function linkBasics(o: LinkOptions): ifla.LinkAttrs {
  return { ...(o.mtu ? { mtu: o.mtu } : {}), ...(o.mac ? { address: macToBuffer(o.mac) } : {}) };
}

function linkRequest(op: string, type: number, flags: number, data: rt.Link, attrs: ifla.LinkAttrs): BatchRequest {
  const body = new AttrStream();
  rt.formatLinkMessage({ kind: 'link', data, attrs }, body);
  return { op, type, flags, body: body.bufs };
}

/**
 * A veth pair whose peer is born in the namespace of peer.nsFd, so it never needs a move. This end's `up` and
 * `master` are part of the one request; the peer cannot be made up that way (ENOTCONN). Echoed.
 */
export function vethRequest(name: string, peer: VethPeer, opts: LinkOptions & { up?: boolean; master?: number }): BatchRequest {
  const peerAttrs = flat(ifla.formatLinkAttrs({
    ifname: peer.name,
    ...linkBasics(peer),
    ...(peer.nsFd !== undefined ? { netNsFd: peer.nsFd } : {}),
  }));
  const data = flat((s) => s.push(VETH_INFO_PEER, Buffer.concat([rt.formatLink({}), peerAttrs])));
  return linkRequest(`create veth ${name}`, RTM_NEWLINK, F_CREATE | F_EXCL | F_ECHO, upFlags(opts.up), {
    ifname: name,
    ...linkBasics(opts),
    ...(opts.master !== undefined ? { master: opts.master } : {}),
    linkinfo: linkInfo('veth', data),
  });
}

/** Change a link (by index); nsFd, when given, moves it into that namespace. */
export function setLinkRequest(index: number, change: Omit<LinkChange, 'nsPath'>, nsFd?: number): BatchRequest {
  const attrs: ifla.LinkAttrs = linkBasics(change);
  if (change.master !== undefined) attrs.master = change.master;
  if (change.name !== undefined) attrs.ifname = change.name;
  if (nsFd !== undefined) attrs.netNsFd = nsFd;
  const data: rt.Link = { index };
  if (change.up !== undefined) {
    data.change = { up: true };
    data.flags = change.up ? { up: true } : {};
  }
  return linkRequest(`set link ${index}`, RTM_SETLINK, 0, data, attrs);
}

/**
 * Hairpin mode of a bridge port, named so it can follow the port's create in one batch: frames may leave by the
 * port they came in on.
 */
export function hairpinRequest(port: string, on: boolean): BatchRequest {
  const mode = Buffer.from([5, 0, IFLA_BRPORT_MODE, 0, on ? 1 : 0, 0, 0, 0]); // one u8 attribute, padded
  const linkinfo = flat(ifla.formatInfo({ slaveKind: 'bridge', slaveData: mode }));
  return linkRequest(`set hairpin ${port}`, RTM_NEWLINK, 0, {}, { ifname: port, linkinfo });
}

/** Add "ip/prefix" to a link; an address already present counts as added. */
export function addressRequest(index: number, cidr: string, opts: { nodad?: boolean } = {}): BatchRequest {
  const { ip, prefix } = splitCidr(cidr);
  const family = familyOf(ip);
  const buf = ipToBuffer(ip);
  const body = new AttrStream();
  rt.formatAddressMessage({
    kind: 'address',
    data: { family, prefixlen: prefix, index },
    // IFA_F_NODAD: container addresses are unique by allocation; DAD only delays them.
    attrs: { local: buf, address: buf, ...(family === AF_INET6 && opts.nodad !== false ? { flags: { nodad: true } } : {}) },
  }, body);
  return { op: `add address ${cidr}`, type: RTM_NEWADDR, flags: F_CREATE | F_EXCL, body: body.bufs, tolerate: ['EEXIST'] };
}
