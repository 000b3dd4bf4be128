/**
 * The daemon namespace's routes and addresses, and a watch on them through rtnetlink's
 * multicast groups (RTNLGRP_IPV4_ROUTE, _IPV6_ROUTE, _IPV4_IFADDR, _IPV6_IFADDR): the kernel
 * tells of every change, nothing is polled. Notifications of what is never compared (local
 * table, link-local, multicast, loopback, default routes: what every veth brings) are
 * dropped as they come; the others of one turn of the event loop make one onChange. A lost
 * notification (ENOBUFS when the socket overflowed) calls it too: the consumer re-reads all.
 * Reads go through a handle of their own, so they never queue behind the drivers' requests.
 */
import { createRtNetlink, type rt } from 'netlink';
import type { HostAddressing, HostPrefix } from '../contracts/host-addressing.js';
import { AF_INET, AF_INET6, bufferToIp } from '../util/ip.js';
import { inNetns } from './netns.js';
import { Rtnl } from './rtnl.js';

const LOCAL_TABLE = 255;
const GROUPS = ['IPV4_ROUTE', 'IPV6_ROUTE', 'IPV4_IFADDR', 'IPV6_IFADDR'] as const;

/** Prefixes that no subnet of a network is ever compared with. */
function ignored(prefix: string): boolean {
  return prefix.endsWith('/0') || /^(fe80:|ff[0-9a-f]{2}:|127\.|::1\/)/.test(prefix);
}

/** Whether a notification may change what prefixes() answers. */
function relevant(m: rt.Message): boolean {
  if (m.kind === 'route') {
    const table = m.attrs.table ?? m.data.table;
    return table !== LOCAL_TABLE && !ignored(`${m.attrs.dst ? bufferToIp(m.attrs.dst) : '::'}/${m.data.dstLen ?? 0}`);
  }
  if (m.kind === 'address') return !m.attrs.address || !ignored(`${bufferToIp(m.attrs.address)}/${m.data.prefixlen}`);
  return false;
}

export class KernelHostAddressing implements HostAddressing {
  private readonly host: Rtnl;

  /** nsPath: the namespace watched; the caller's own when omitted. */
  constructor(private readonly nsPath?: string) {
    this.host = Rtnl.open(nsPath);
  }

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

  /** The stop also closes the handle prefixes() reads through. */
  watch(onChange: () => void): () => void {
    const sock = inNetns(this.nsPath, () => createRtNetlink());
    for (const g of GROUPS) sock.addMembership(g);
    let queued = false;
    const changed = () => {
      if (queued) return;
      queued = true;
      setImmediate(() => { queued = false; onChange(); });
    };
    sock.on('message', (msgs) => { if (msgs.some(relevant)) changed(); });
    sock.on('invalid', changed);
    sock.socket.on('error', changed);
    return () => {
      sock.socket.close();
      this.host.close();
    };
  }
}
