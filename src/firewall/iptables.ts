/**
 * The iptables backend: network operations read the family's ruleset once
 * (`iptables-save`), plan the difference (iptables-rules.ts) and apply it as one atomic
 * `iptables-restore --noflush` batch. Reading first is what makes every call idempotent
 * and lets init() repair a flushed ruleset without duplicating rules.
 *
 * Published ports, the frequent operation, skip the read: the backend remembers which
 * DNAT rules its port-block chains hold (learned from one `iptables-save -t nat` after
 * init) and writes only the change. If that batch fails (the ruleset changed under us),
 * it falls back to the read-plan-write path and learns the rules again.
 */
import { expandMappings, type Family, type FirewallOptions, type PortRule } from './common.js';
import { Serial } from '../util/lock.js';
import { runCommand } from './exec.js';
import {
  parseSave, planAddNetwork, portRules, WEFT_DNAT, planAddPorts, planInit, planRemoveNetwork, planRemovePorts, planSyncPorts, planTeardown,
  RestoreBatch, WEFT_FORWARD, WEFT_POSTROUTING, WEFT_RAW_PREROUTING, type SaveDump, NET_CHAINS, WEFT_ISOLATION,
} from './iptables-rules.js';
import { planUserChain } from './user-chain.js';
import { planInputMode } from './input-mode.js';
import { planLoopbackDnat } from './loopback-dnat.js';
import type { FirewallBackend, FirewallNetwork, NetworkCounter, PortCounter, PortMapping } from '../contracts/firewall.js';
import { countLines, parseCountSave, planCountBase, planCountPorts, planSyncCounts } from './iptables-count.js';
import { splitRouted } from './gateway-modes.js';
import { CountRuleReader } from './iptables-count-read.js';
import { AcctCounters } from './iptables-acct.js';
import { NFPROTO_IPV4, NFPROTO_IPV6, NfnlHandle } from '../kernel/nfnetlink.js';
import { tableRules } from '../kernel/nft-table-rules.js';
import { countNetworks, networkChain, parseFilterSave } from './network-counters.js';
import { planRoutedChain, planRoutedPorts, planSyncRouted } from './iptables-routed.js';

const TOOLS: Record<Family, { save: string; restore: string }> = {
  4: { save: 'iptables-save', restore: 'iptables-restore' },
  6: { save: 'ip6tables-save', restore: 'ip6tables-restore' },
};

/** Per family: port-block chain -> the DNAT rules it holds. */
type PortModel = Map<string, Set<string>>;

export class IptablesBackend implements FirewallBackend {
  readonly name = 'iptables' as const;
  private readonly serial = new Serial();
  private readonly model = new Map<Family, PortModel>();

  private readonly counters: NfnlHandle;
  private readonly countRules = new CountRuleReader();
  private readonly acctObjects: AcctCounters;
  /** Whether counting rules count into nfacct objects (the kernel has nfnetlink_acct); decided by init. */
  private acct = false;

  constructor(private readonly opts: FirewallOptions = {}) {
    this.counters = new NfnlHandle(opts.netnsPath);
    this.acctObjects = new AcctCounters(this.counters);
  }

  init(): Promise<void> {
    return this.serial.run(async () => {
      this.model.clear();
      this.acct = await this.acctObjects.available();
      for (const f of [4, 6] as const) await this.apply(f, withBase(this.opts, f, (b) => planInit(b, f)));
    });
  }

  addNetwork(net: FirewallNetwork): Promise<void> {
    return this.serial.run(async () => {
      const add = (f: Family) => (b: RestoreBatch) => {
        planRoutedChain(b, net, f);
        planAddNetwork(b, net, f);
      };
      await this.apply(4, withBase(this.opts, 4, add(4)));
      // IPv6 forwarding only exists for networks with IPv6 subnets; a network re-added
      // without them loses its old IPv6 rules.
      if (net.subnets6.length) await this.apply(6, withBase(this.opts, 6, add(6)));
      else await this.apply(6, (b) => planRemoveNetwork(b, net));
    });
  }

  removeNetwork(net: FirewallNetwork): Promise<void> {
    return this.serial.run(async () => {
      for (const f of [4, 6] as const) await this.apply(f, (b) => planRemoveNetwork(b, net));
    });
  }

  addPortMappings(_endpointId: string, mappings: PortMapping[]): Promise<void> {
    const { nat: rules, routed } = splitRouted(expandMappings(mappings));
    return this.serial.run(async () => {
      for (const [f, rs] of byFamily(routed)) await this.apply(f, (b) => planRoutedPorts(b, rs, 'add'));
      for (const [f, rs] of byFamily(rules)) {
        if (this.acct) await this.acctObjects.create(rs);
        if (await this.fastPorts(f, rs, 'add')) continue;
        await this.apply(f, (b) => {
          planAddPorts(b, rs, f);
          planCountPorts(b, rs, 'add', this.acct);
        });
      }
    });
  }

  removePortMappings(_endpointId: string, mappings: PortMapping[]): Promise<void> {
    const { nat: rules, routed } = splitRouted(expandMappings(mappings));
    return this.serial.run(async () => {
      for (const [f, rs] of byFamily(routed)) await this.apply(f, (b) => planRoutedPorts(b, rs, 'remove'));
      for (const [f, rs] of byFamily(rules)) {
        if (!(await this.fastPorts(f, rs, 'remove'))) {
          await this.apply(f, (b) => {
            planRemovePorts(b, rs);
            planCountPorts(b, rs, 'remove', this.acct);
          });
        }
        if (this.acct) await this.acctObjects.remove(rs);
      }
    });
  }

  syncPortMappings(mappings: PortMapping[]): Promise<void> {
    const { nat: rules, routed } = splitRouted(expandMappings(mappings));
    return this.serial.run(async () => {
      this.model.clear();
      if (this.acct) await this.acctObjects.create(rules);
      for (const f of [4, 6] as const) {
        const rs = rules.filter((r) => r.family === f);
        await this.apply(f, (b, dump) => {
          planSyncPorts(b, rs, f, dump);
          planSyncCounts(b, rs, this.acct);
          planSyncRouted(b, routed.filter((r) => r.family === f));
        });
      }
      if (this.acct) await this.acctObjects.prune(rules);
    });
  }

  /**
   * Write only the change to the port-block chains, from the remembered model. Returns
   * false (model dropped) when the batch failed, so the caller takes the planned path.
   */
  private async fastPorts(family: Family, rules: PortRule[], op: 'add' | 'remove'): Promise<boolean> {
    const model = await this.portModel(family);
    const next = new Map([...model].map(([c, set]) => [c, new Set(set)]));
    const decl: string[] = [];
    const del: string[] = [];
    const add: string[] = [];
    const drop: string[] = [];
    const counted: PortRule[] = [];
    for (const r of rules) {
      const { chain, jump, dnat } = portRules(r);
      let set = next.get(chain);
      if (op === 'add') {
        if (set?.has(dnat)) continue;
        if (!set) {
          set = new Set();
          next.set(chain, set);
          decl.push(`:${chain} - [0:0]`);
          add.push(`-A ${WEFT_DNAT} ${jump}`);
        }
        set.add(dnat);
        add.push(`-A ${chain} ${dnat}`);
        counted.push(r);
      } else {
        if (!set?.has(dnat)) continue;
        set.delete(dnat);
        del.push(`-D ${chain} ${dnat}`);
        counted.push(r);
        if (!set.size) {
          next.delete(chain);
          del.push(`-D ${WEFT_DNAT} ${jump}`);
          drop.push(`-X ${chain}`);
        }
      }
    }
    if (!decl.length && !del.length && !add.length) return true;
    const count = countLines(counted, op, this.acct);
    const input = ['*mangle', ...count, 'COMMIT', '*nat', ...decl, ...del, ...add, ...drop, 'COMMIT', ''].join('\n');
    try {
      await this.exec([TOOLS[family].restore, '--noflush'], input);
    } catch (err) {
      this.opts.logger?.warn({ err, family }, 'port batch failed; re-reading the ruleset');
      this.model.delete(family);
      return false;
    }
    this.model.set(family, next);
    return true;
  }

  /** The port-block chains and their rules, read once (after init or a failure). */
  private async portModel(family: Family): Promise<PortModel> {
    let m = this.model.get(family);
    if (m) return m;
    const dump = parseSave(await this.exec([TOOLS[family].save, '-t', 'nat']));
    m = new Map();
    const nat = dump.get('nat');
    const jumps = nat?.rules.get(WEFT_DNAT) ?? [];
    for (const chain of nat?.chains ?? []) {
      // A block chain nothing jumps to (its jump was flushed) is re-declared on next use.
      if (!chain.startsWith(`${WEFT_DNAT}-`) || !jumps.some((j) => j.endsWith(` -j ${chain}`))) continue;
      m.set(chain, new Set(nat!.rules.get(chain) ?? []));
    }
    this.model.set(family, m);
    return m;
  }

  teardown(): Promise<void> {
    return this.serial.run(async () => {
      this.model.clear();
      for (const f of [4, 6] as const) await this.apply(f, (b, dump) => planTeardown(b, dump));
      if (this.acct) await this.acctObjects.prune([]);
    });
  }

  /** The jumps from the built-in chains into weft's chains are there, in each table. */
  healthy(): Promise<boolean> {
    return this.serial.run(async () => {
      try {
        await this.exec(['iptables', '-w', '-C', 'FORWARD', '-j', 'WEFT-FORWARD']);
        await this.exec(['iptables', '-w', '-t', 'nat', '-C', 'POSTROUTING', '-j', 'WEFT-POSTROUTING']);
        await this.exec(['iptables', '-w', '-t', 'raw', '-C', 'PREROUTING', '-j', WEFT_RAW_PREROUTING]);
        return true;
      } catch {
        return false;
      }
    });
  }

  /**
   * Every published host port's counts: one dump of the nfacct objects, else per family one
   * netlink rule dump (iptables-nft) or one `iptables-save -c` (legacy iptables, or no chain yet).
   */
  async portCounters(): Promise<PortCounter[]> {
    if (this.acct) return this.acctObjects.read(async () => parseCountSave(`${await this.saveCounts(4)}\n${await this.saveCounts(6)}`));
    const out: PortCounter[] = [];
    for (const f of [4, 6] as const) {
      const read = await this.countRules.read(this.counters.get(), f).catch(() => undefined);
      out.push(...(read ?? parseCountSave(await this.saveCounts(f))));
    }
    return out;
  }

  /**
   * Every network chain's rule counters: one netlink dump of the filter table per family
   * (iptables-nft), else one `iptables-save -c -t filter` (legacy iptables).
   */
  async networkCounters(): Promise<NetworkCounter[]> {
    const names = { ...NET_CHAINS, isolation: WEFT_ISOLATION };
    const tables = [];
    for (const f of [4, 6] as const) {
      const nfproto = f === 4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
      const read = await tableRules(this.counters.get(), nfproto, 'filter', networkChain(names, WEFT_FORWARD)).catch(() => undefined);
      tables.push(read ?? parseFilterSave(await this.serial.run(() => this.exec([TOOLS[f].save, '-c', '-t', 'filter'])).catch(() => '')));
    }
    return countNetworks(tables, names);
  }

  private saveCounts(f: Family): Promise<string> {
    return this.serial.run(() => this.exec([TOOLS[f].save, '-c', '-t', 'mangle'])).catch(() => '');
  }

  /** The counter socket is the only thing held open between calls. */
  close(): void {
    this.counters.close();
  }

  /** Read, plan, write; when the write fails (the ruleset changed under us) retry once. */
  private async apply(family: Family, plan: (b: RestoreBatch, dump: SaveDump) => void): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const dump = parseSave(await this.exec([TOOLS[family].save]));
      const batch = new RestoreBatch(dump);
      plan(batch, dump);
      if (batch.empty) return;
      const input = batch.render();
      this.opts.logger?.debug({ family, batch: input }, 'iptables-restore');
      try {
        await this.exec([TOOLS[family].restore, '--noflush'], input);
        return;
      } catch (err) {
        if (attempt >= 2) throw err;
        this.opts.logger?.warn({ err, family }, 'iptables-restore failed; re-reading the ruleset and retrying');
      }
    }
  }

  /** dockerd's choice when it turns forwarding on itself: the host forwards nothing it did not allow. */
  async forwardingEnabled(family: Family): Promise<void> {
    await this.exec([family === 4 ? 'iptables' : 'ip6tables', '-w', '-P', 'FORWARD', 'DROP']);
  }

  private exec(argv: string[], input?: string): Promise<string> {
    return runCommand(argv, { input, netnsPath: this.opts.netnsPath });
  }
}

/**
 * A plan that also ensures what planInit does not: the counting chain and its jump, the user
 * chain, input mode's skip, and the IPv4 loopback DNAT exactly when the userland proxy is off. A flushed ruleset is
 * repaired whole.
 */
function withBase(opts: FirewallOptions, family: Family, plan: (b: RestoreBatch) => void): (b: RestoreBatch) => void {
  return (b) => {
    plan(b);
    planCountBase(b);
    planUserChain(b, WEFT_FORWARD, opts.publishedPortsFirewall);
    planInputMode(b, WEFT_DNAT, opts.publishedPortsFirewall);
    if (family === 4) planLoopbackDnat(b, { dnat: WEFT_DNAT, postrouting: WEFT_POSTROUTING }, opts.loopbackDnat === true);
  };
}

function byFamily(rules: PortRule[]): [Family, PortRule[]][] {
  const out: [Family, PortRule[]][] = [];
  for (const f of [4, 6] as const) {
    const rs = rules.filter((r) => r.family === f);
    if (rs.length) out.push([f, rs]);
  }
  return out;
}
