/**
 * Subnet conflicts seen live: a route or an address in the daemon's namespace that overlaps
 * a network's subnet (a VPN that came up, an address someone configured) — except on the
 * network's own host interface — is said once when it appears and once when it goes: a
 * warning in the log, a network event (`subnet_conflict`, `subnet_conflict_resolved`), and
 * the list `of()` answers for `network inspect`. Re-checked when the kernel reports a
 * route or address change and when a network is created, removed or renumbered — never
 * by polling.
 */
import type pino from 'pino';
import type { NetworkDriver } from '../contracts/driver.js';
import type { HostAddressing, HostPrefix } from '../contracts/host-addressing.js';
import type { EventBus, EventMessage } from '../util/event-bus.js';
import { cidrOverlaps, ipVersion } from '../util/ip.js';
import { Serial } from '../util/lock.js';
import type { NetworkRecord } from './model.js';

/** One overlap, as `network inspect` shows it under Status.WeftConflicts. */
export interface SubnetConflict {
  Subnet: string;
  Kind: HostPrefix['kind'];
  Prefix: string;
  Interface?: string;
  /** When it was first seen (RFC 3339). */
  Since: string;
}

/** What the watch reads of the controller. */
export interface ConflictSubjects {
  listNetworks(): NetworkRecord[];
  driverOf(n: NetworkRecord): NetworkDriver;
}

const RECHECK_ON = new Set(['create', 'destroy', 'renumber']);

export class SubnetConflicts {
  private current = new Map<string, SubnetConflict[]>();
  /** Networks whose `create` was told (or that were there at start): a conflict is not told before its network. */
  private readonly known = new Set<string>();
  private readonly queue = new Serial();
  private queued = false;
  private stops: (() => void)[] = [];

  constructor(
    private readonly subjects: ConflictSubjects, private readonly host: HostAddressing,
    private readonly logger: pino.Logger, private readonly events?: EventBus,
  ) {}

  /** A watch started: resolves after its first check. */
  static async watch(subjects: ConflictSubjects, host: HostAddressing, logger: pino.Logger, events?: EventBus): Promise<SubnetConflicts> {
    const w = new SubnetConflicts(subjects, host, logger, events);
    await w.start();
    return w;
  }

  /** Watch from now on; resolves after the first check. */
  start(): Promise<void> {
    for (const n of this.subjects.listNetworks()) this.known.add(n.id);
    this.stops.push(this.host.watch(() => { void this.check(); }));
    const unsubscribe = this.events?.subscribe((e: EventMessage) => {
      if (e.Type !== 'network' || !RECHECK_ON.has(e.Action)) return;
      if (e.Action === 'destroy') this.known.delete(e.Actor.ID);
      else this.known.add(e.Actor.ID);
      void this.check();
    });
    if (unsubscribe) this.stops.push(unsubscribe);
    return this.check();
  }

  stop(): void {
    for (const s of this.stops.splice(0)) s();
  }

  /** The network's conflicts now (empty when none). */
  of(networkId: string): SubnetConflict[] {
    return this.current.get(networkId) ?? [];
  }

  /** One re-read at a time; requests while one waits to run are served by it. */
  check(): Promise<void> {
    if (this.queued) return this.queue.run(async () => undefined);
    this.queued = true;
    return this.queue.run(async () => {
      this.queued = false;
      try {
        this.update(await this.host.prefixes());
      } catch (err) {
        this.logger.warn({ err }, 'reading host routes and addresses for subnet conflicts failed');
      }
    });
  }

  private update(prefixes: HostPrefix[]): void {
    const next = new Map<string, SubnetConflict[]>();
    const now = new Date().toISOString();
    for (const n of this.subjects.listNetworks().filter((x) => this.known.has(x.id))) {
      const before = new Map(this.of(n.id).map((c) => [keyOf(c), c]));
      const found = overlaps(n, this.ownInterface(n), prefixes).map((c) => before.get(keyOf(c)) ?? { ...c, Since: now });
      if (found.length) next.set(n.id, found);
      const after = new Set(found.map(keyOf));
      for (const c of found) if (!before.has(keyOf(c))) this.say(n, c, 'subnet_conflict');
      for (const [k, c] of before) if (!after.has(k)) this.say(n, c, 'subnet_conflict_resolved');
    }
    this.current = next;
  }

  private ownInterface(n: NetworkRecord): string | undefined {
    try {
      return this.subjects.driverOf(n).hostInterface?.(n);
    } catch {
      return undefined; // a plugin that is not there has no interface here
    }
  }

  private say(n: NetworkRecord, c: Omit<SubnetConflict, 'Since'>, action: string): void {
    const where = { network: n.name, subnet: c.Subnet, [c.Kind]: c.Prefix, interface: c.Interface };
    const on = c.Interface ? ` on ${c.Interface}` : '';
    if (action === 'subnet_conflict') this.logger.warn(where, `subnet conflict: a host ${c.Kind} ${c.Prefix}${on} overlaps ${c.Subnet}`);
    else this.logger.info(where, 'subnet conflict resolved');
    const attrs = { name: n.name, type: n.driver, subnet: c.Subnet, kind: c.Kind, prefix: c.Prefix };
    this.events?.publish('network', action, { ID: n.id, Attributes: { ...attrs, ...(c.Interface ? { interface: c.Interface } : {}) } });
  }
}

function overlaps(n: NetworkRecord, own: string | undefined, prefixes: HostPrefix[]): Omit<SubnetConflict, 'Since'>[] {
  const out: Omit<SubnetConflict, 'Since'>[] = [];
  for (const { subnet } of [...n.ipv4, ...n.ipv6]) {
    for (const p of prefixes) {
      if (own && p.interface === own) continue;
      if (ipVersion(p.prefix.split('/')[0]) !== ipVersion(subnet.split('/')[0]) || !cidrOverlaps(subnet, p.prefix)) continue;
      out.push({ Subnet: subnet, Kind: p.kind, Prefix: p.prefix, ...(p.interface ? { Interface: p.interface } : {}) });
    }
  }
  return out;
}

function keyOf(c: Omit<SubnetConflict, 'Since'>): string {
  return `${c.Subnet} ${c.Kind} ${c.Prefix} ${c.Interface ?? ''}`;
}
