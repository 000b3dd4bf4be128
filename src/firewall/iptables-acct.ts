/**
 * Per-port counters of the iptables backend read from nfacct objects: each counting rule
 * ends in `-m nfacct --nfacct-name weft-…` (iptables-count.ts), so the kernel adds each
 * packet it counts to that object too, and a scrape dumps the accounting objects (a small
 * message each, one dump for both families) instead of the rules, whose dump makes the
 * kernel write out every rule's expressions and conntrack match (~9 ms at 1,000 ports).
 */
import type { PortCounter } from '../contracts/firewall.js';
import type { NfnlHandle } from '../kernel/nfnetlink.js';
import type { PortRule } from './common.js';
import type { CountKey } from './iptables-count-read.js';
import { acctName, type SavedCount } from './iptables-count.js';

const PREFIX = 'weft-';

function keyOf(r: Omit<CountKey, 'hostPort'> & { hostPort: number }): CountKey {
  const { proto, containerIp, containerPort, hostPort, hostIp } = r;
  return { proto, containerIp, containerPort, hostPort, ...(hostIp ? { hostIp } : {}) };
}

export class AcctCounters {
  /** Object name -> the port it counts; a name is a digest of its rule, so an entry never goes stale. */
  private readonly keys = new Map<string, CountKey>();
  private learned = false;

  constructor(private readonly handle: NfnlHandle) {}

  /** Whether this kernel has nfnetlink_acct: an object can be made (and is removed again). */
  async available(): Promise<boolean> {
    const nl = this.handle.get();
    try {
      await nl.acctCreate(`${PREFIX}probe`);
    } catch {
      return false;
    }
    await nl.acctDelete(`${PREFIX}probe`).catch(() => {});
    return true;
  }

  /** The objects of these rules, made before the rules that count into them are written. */
  async create(rules: PortRule[]): Promise<void> {
    const nl = this.handle.get();
    for (const r of rules) {
      const name = acctName(r);
      this.keys.set(name, keyOf(r));
      await nl.acctCreate(name);
    }
  }

  /** The objects of these rules, once the rules are gone. */
  async remove(rules: PortRule[]): Promise<void> {
    const nl = this.handle.get();
    for (const r of rules) {
      const name = acctName(r);
      this.keys.delete(name);
      await nl.acctDelete(name).catch(() => {});
    }
  }

  /** Every weft object no rule of `keep` counts into (left by a crash between a rule's removal and its object's). */
  async prune(keep: PortRule[]): Promise<void> {
    const nl = this.handle.get();
    const wanted = new Set(keep.map(acctName));
    for (const o of await nl.acctObjects()) {
      if (o.name.startsWith(PREFIX) && !wanted.has(o.name)) await nl.acctDelete(o.name).catch(() => {});
    }
  }

  /**
   * The counts of every known object. The first read also learns the objects of rules a
   * previous daemon wrote, from `saved` (the counting rules as iptables-save prints them).
   */
  async read(saved: () => Promise<SavedCount[]>): Promise<PortCounter[]> {
    if (!this.learned) {
      for (const c of await saved()) if (c.acct && c.hostPort) this.keys.set(c.acct, keyOf({ ...c, hostPort: c.hostPort }));
      this.learned = true;
    }
    const out: PortCounter[] = [];
    for (const o of await this.handle.get().acctObjects()) {
      const key = this.keys.get(o.name);
      if (!key) continue;
      const { proto, containerIp, containerPort, hostPort, hostIp } = key;
      out.push({ proto, containerIp, containerPort, hostPort, hostIp, packets: o.packets, bytes: o.bytes });
    }
    return out;
  }
}
