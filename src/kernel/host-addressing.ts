/**
 * The daemon namespace's routes and addresses, and a watch on them through rtnetlink's
 * multicast groups (RTNLGRP_IPV4_ROUTE, _IPV6_ROUTE, _IPV4_IFADDR, _IPV6_IFADDR, and _LINK
 * for interface names): the kernel tells of every change, nothing is polled. Notifications
 * of what is never compared (local table, link-local, multicast, loopback, default routes:
 * what every veth brings) are dropped as they come; the others of one batch make one
 * onChange. Lost notifications (an overrun) call it too, and the consumer re-reads all.
 * While watching, interface names come from the link notifications, so a re-read dumps
 * routes and addresses only (links again only after a loss or for an unknown index).
 * Reads go through a handle of their own, so they never queue behind the drivers' requests.
 */
import { rt } from 'netlink';
import type { HostAddressing, HostPrefix } from '../contracts/host-addressing.js';
import { AF_INET, AF_INET6 } from '../util/ip.js';
import { RtnlMonitor, type RtNotice } from './rtnl-monitor.js';
import { Rtnl } from './rtnl.js';

const LOCAL_TABLE = 255;
const GROUPS = ['LINK', 'IPV4_ROUTE', 'IPV6_ROUTE', 'IPV4_IFADDR', 'IPV6_IFADDR'].map((g) => rt.MulticastGroups[g as 'LINK']);

/** Prefixes that no subnet of a network is ever compared with. */
function ignored(prefix: string): boolean {
  return prefix.endsWith('/0') || /^(fe80:|ff[0-9a-f]{2}:|127\.|::1\/)/.test(prefix);
}

export class KernelHostAddressing implements HostAddressing {
  private readonly host: Rtnl;
  /** index → name, kept by the link notifications while watching; undefined: not known, dump. */
  private names?: Map<number, string>;
  private watching = false;

  /** nsPath: the namespace watched; the caller's own when omitted. */
  constructor(private readonly nsPath?: string) {
    this.host = Rtnl.open(nsPath);
  }

  async prefixes(): Promise<HostPrefix[]> {
    const found: { prefix: string; kind: HostPrefix['kind']; index?: number }[] = [];
    for (const family of [AF_INET, AF_INET6]) {
      for (const r of await this.host.routes(family)) {
        if (r.table === LOCAL_TABLE || ignored(r.dst)) continue;
        found.push({ prefix: r.dst, kind: 'route', ...(r.oif !== undefined ? { index: r.oif } : {}) });
      }
    }
    for (const a of await this.host.addresses()) if (!ignored(a.cidr)) found.push({ prefix: a.cidr, kind: 'address', index: a.index });
    const names = await this.linkNames(found.flatMap((f) => (f.index === undefined ? [] : [f.index])));
    return found.map(({ prefix, kind, index }) => {
      const dev = index === undefined ? undefined : names.get(index);
      return { prefix, kind, ...(dev ? { interface: dev } : {}) };
    });
  }

  /** The stop also closes the handle prefixes() reads through. */
  watch(onChange: () => void): () => void {
    let queued = false;
    const changed = () => {
      if (queued) return;
      queued = true;
      setImmediate(() => { queued = false; onChange(); });
    };
    this.watching = true;
    const monitor = new RtnlMonitor(this.nsPath, GROUPS, {
      notices: (batch) => { if (this.noted(batch)) changed(); },
      lost: () => { this.names = undefined; changed(); },
    });
    return () => {
      this.watching = false;
      monitor.close();
      this.host.close();
    };
  }

  /** Names of the indexes, from the cache when it has them all, else from a fresh dump (kept while watching). */
  private async linkNames(indexes: number[]): Promise<Map<number, string>> {
    if (this.names && indexes.every((i) => this.names!.has(i))) return this.names;
    const names = new Map((await this.host.links()).map((l) => [l.index, l.name]));
    if (this.watching) this.names = names;
    return names;
  }

  /** Takes in a batch of notices: whether any may change what prefixes() answers. */
  private noted(batch: RtNotice[]): boolean {
    let relevant = false;
    for (const n of batch) {
      if (n.kind === 'link') {
        const before = this.names?.get(n.index);
        if (n.gone) this.names?.delete(n.index);
        else if (n.name) this.names?.set(n.index, n.name);
        // A rename changes the Interface of what is on the link.
        if (before !== undefined && !n.gone && n.name && n.name !== before) relevant = true;
      } else if (n.kind === 'route' ? n.table !== LOCAL_TABLE && !ignored(n.prefix) : !ignored(n.prefix)) {
        relevant = true;
      }
    }
    return relevant;
  }
}
