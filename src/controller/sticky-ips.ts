/**
 * Sticky addresses (`-o weft.sticky-ips`): the dynamic addresses an endpoint leaves behind
 * are remembered under its name (the container's) per network, so a container stopped and
 * started, or re-created under its name (compose), asks the IPAM for them again and keeps
 * the address DNS caches and peers' firewall rules hold. Other endpoints' dynamic picks skip
 * remembered addresses while the pool has any other free one; when it has none, the
 * remembered one is given and its memory dropped. The IPAM still hands an address out once,
 * whatever is remembered.
 *
 * One record per network (`sticky/<network id>`), changed only by update functions in the
 * unit that releases or reserves the addresses, so the memory and the IPAM state commit
 * together (and survive a restart together). At most STICKY_MAX names are kept (the oldest go).
 */
import type { Transaction } from '../contracts/store.js';
import { OPT_DEFAULT_BRIDGE, OPT_STICKY_IPS } from '../contracts/network-options.js';
import { InvalidArgument } from '../util/errors.js';
import { splitCidr } from '../util/ip.js';
import type { EndpointRecord, NetworkRecord } from './model.js';

export const STICKY = 'sticky/';
export const STICKY_MAX = 1024;

export interface StickyEntry {
  ipv4?: string;
  ipv6?: string;
  /** When the addresses were released (ms since the epoch): the oldest go first past STICKY_MAX. */
  at: number;
}

export interface StickyRecord {
  byName: { [name: string]: StickyEntry };
}

/** What a connect asks the IPAM for: its own remembered addresses, and the others' to skip. */
export interface StickyPlan {
  prefer: { ipv4?: string; ipv6?: string };
  avoid: string[];
}

/** A create request's option value, refused unless it is a boolean. */
export function validateStickyOption(options: { [key: string]: string } | undefined): void {
  const v = options?.[OPT_STICKY_IPS];
  if (v !== undefined && !['true', 'false'].includes(v)) {
    throw new InvalidArgument(`invalid value for ${OPT_STICKY_IPS}: ${JSON.stringify(v)}: ${OPT_STICKY_IPS} must be true or false`);
  }
}

/** On for user-defined local networks unless turned off; off on the default bridge unless turned on (as dockerd behaves). */
export function stickyEnabled(n: NetworkRecord): boolean {
  if (n.scope !== 'local') return false; // their addresses live in the cluster store, outside any local unit
  const v = n.options[OPT_STICKY_IPS];
  if (v !== undefined) return v === 'true';
  return n.options[OPT_DEFAULT_BRIDGE] !== 'true';
}

/** The plan for an endpoint named `name` joining n (nothing to prefer or skip when n is not sticky). */
export async function stickyPlan(tx: Transaction | undefined, n: NetworkRecord, name: string): Promise<StickyPlan> {
  const plan: StickyPlan = { prefer: {}, avoid: [] };
  if (!tx || !stickyEnabled(n)) return plan;
  const byName = (await tx.get<StickyRecord>(STICKY + n.id))?.value.byName ?? {};
  for (const [other, e] of Object.entries(byName)) {
    if (other === name && name) plan.prefer = { ipv4: e.ipv4, ipv6: e.ipv6 };
    else plan.avoid.push(...[e.ipv4, e.ipv6].filter((a): a is string => !!a));
  }
  return plan;
}

/** Into tx, with the release: ep's dynamic addresses remembered under its name. */
export function remember(tx: Transaction, n: NetworkRecord, ep: EndpointRecord, now = Date.now()): void {
  if (!stickyEnabled(n) || !ep.name) return;
  const entry: StickyEntry = { at: now };
  if (ep.ipv4 && !ep.requestedIpv4) entry.ipv4 = splitCidr(ep.ipv4).ip;
  if (ep.ipv6 && !ep.requestedIpv6) entry.ipv6 = splitCidr(ep.ipv6).ip;
  if (!entry.ipv4 && !entry.ipv6) return;
  tx.update<StickyRecord>(STICKY + n.id, (cur) => newest({ byName: { ...cur?.byName, [ep.name]: entry } }));
}

/** Into tx, with the reservation: ep's name has its addresses, and nobody else remembers them. */
export function claimed(tx: Transaction, n: NetworkRecord, ep: EndpointRecord): void {
  if (!stickyEnabled(n)) return;
  const given = new Set([ep.ipv4, ep.ipv6].filter((a): a is string => !!a).map((a) => splitCidr(a).ip));
  tx.update<StickyRecord>(STICKY + n.id, (cur) => {
    if (!cur) return undefined;
    const byName = Object.fromEntries(Object.entries(cur.byName)
      .filter(([name, e]) => name !== ep.name && !(e.ipv4 && given.has(e.ipv4)) && !(e.ipv6 && given.has(e.ipv6))));
    return newest({ byName });
  });
}

/** At most STICKY_MAX entries, the most recent; undefined (the key deleted) when none is left. */
function newest(rec: StickyRecord): StickyRecord | undefined {
  const all = Object.entries(rec.byName);
  if (!all.length) return undefined;
  if (all.length <= STICKY_MAX) return rec;
  return { byName: Object.fromEntries(all.sort(([, a], [, b]) => b.at - a.at).slice(0, STICKY_MAX)) };
}
