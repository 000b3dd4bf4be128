/**
 * The daemon namespace's routes and addresses, and a watch on them through rtnetlink's
 * multicast groups (RTNLGRP_IPV4_ROUTE, _IPV6_ROUTE, _IPV4_IFADDR, _IPV6_IFADDR): the kernel
 * tells of every change, nothing is polled. A burst of notifications is coalesced into one
 * onChange; a lost notification (ENOBUFS when the socket overflowed) also calls it, since the
 * consumer re-reads everything anyway.
 */
import { createRtNetlink } from 'netlink';
import type { HostAddressing, HostPrefix } from '../contracts/host-addressing.js';
import { AF_INET, AF_INET6 } from '../util/ip.js';
import { inNetns } from './netns.js';
import type { Rtnl } from './rtnl.js';

const LOCAL_TABLE = 255;
const GROUPS = ['IPV4_ROUTE', 'IPV6_ROUTE', 'IPV4_IFADDR', 'IPV6_IFADDR'] as const;

/** Prefixes that no subnet of a network is ever compared with. */
function ignored(prefix: string): boolean {
  return prefix.endsWith('/0') || /^(fe80:|ff[0-9a-f]{2}:|127\.|::1\/)/.test(prefix);
}

export class KernelHostAddressing implements HostAddressing {
  /** host: rtnetlink handle of the daemon's namespace (the one watched). */
  constructor(private readonly host: Rtnl) {}

  async prefixes(): Promise<HostPrefix[]> {
    const names = new Map((await this.host.links()).map((l) => [l.index, l.name]));
    const out: HostPrefix[] = [];
    for (const family of [AF_INET, AF_INET6]) {
      for (const r of await this.host.routes(family)) {
        if (r.table === LOCAL_TABLE || ignored(r.dst)) continue;
        const dev = r.oif !== undefined ? names.get(r.oif) : undefined;
        out.push({ prefix: r.dst, kind: 'route', ...(dev ? { interface: dev } : {}) });
      }
    }
    for (const a of await this.host.addresses()) {
      if (ignored(a.cidr)) continue;
      const dev = names.get(a.index);
      out.push({ prefix: a.cidr, kind: 'address', ...(dev ? { interface: dev } : {}) });
    }
    return out;
  }

  watch(onChange: () => void): () => void {
    const sock = inNetns(this.host.nsPath, () => createRtNetlink());
    for (const g of GROUPS) sock.addMembership(g);
    let queued = false;
    const changed = () => {
      if (queued) return;
      queued = true;
      setImmediate(() => { queued = false; onChange(); });
    };
    sock.on('message', changed);
    sock.on('invalid', changed);
    sock.socket.on('error', changed);
    return () => sock.socket.close();
  }
}
