/**
 * The iptables backend: every operation reads the family's ruleset once
 * (`iptables-save`), plans the difference (iptables-rules.ts) and applies it as one
 * atomic `iptables-restore --noflush` batch. Reading first is what makes every call
 * idempotent and lets init() repair a flushed ruleset without duplicating rules.
 */
import { expandMappings, type Family, type FirewallOptions, type PortRule } from './common.js';
import { runCommand, Serial } from './exec.js';
import {
  parseSave, planAddNetwork, planAddPorts, planInit, planRemoveNetwork, planRemovePorts, planTeardown,
  RestoreBatch, type SaveDump,
} from './iptables-rules.js';
import type { FirewallBackend, FirewallNetwork, PortMapping } from './model.js';

const TOOLS: Record<Family, { save: string; restore: string }> = {
  4: { save: 'iptables-save', restore: 'iptables-restore' },
  6: { save: 'ip6tables-save', restore: 'ip6tables-restore' },
};

export class IptablesBackend implements FirewallBackend {
  readonly name = 'iptables' as const;
  private readonly serial = new Serial();

  constructor(private readonly opts: FirewallOptions = {}) {}

  init(): Promise<void> {
    return this.serial.run(async () => {
      for (const f of [4, 6] as const) await this.apply(f, (b) => planInit(b, f));
    });
  }

  addNetwork(net: FirewallNetwork): Promise<void> {
    return this.serial.run(async () => {
      await this.apply(4, (b) => planAddNetwork(b, net, 4));
      // IPv6 forwarding only exists for networks with IPv6 subnets; a network re-added
      // without them loses its old IPv6 rules.
      if (net.subnets6.length) await this.apply(6, (b) => planAddNetwork(b, net, 6));
      else await this.apply(6, (b) => planRemoveNetwork(b, net));
    });
  }

  removeNetwork(net: FirewallNetwork): Promise<void> {
    return this.serial.run(async () => {
      for (const f of [4, 6] as const) await this.apply(f, (b) => planRemoveNetwork(b, net));
    });
  }

  addPortMappings(_endpointId: string, mappings: PortMapping[]): Promise<void> {
    const rules = expandMappings(mappings);
    return this.serial.run(async () => {
      for (const [f, rs] of byFamily(rules)) await this.apply(f, (b) => planAddPorts(b, rs, f));
    });
  }

  removePortMappings(_endpointId: string, mappings: PortMapping[]): Promise<void> {
    const rules = expandMappings(mappings);
    return this.serial.run(async () => {
      for (const [f, rs] of byFamily(rules)) await this.apply(f, (b) => planRemovePorts(b, rs));
    });
  }

  teardown(): Promise<void> {
    return this.serial.run(async () => {
      for (const f of [4, 6] as const) await this.apply(f, (b, dump) => planTeardown(b, dump));
    });
  }

  /** The jumps from the built-in chains into weft's chains are there, in both tables. */
  healthy(): Promise<boolean> {
    return this.serial.run(async () => {
      try {
        await this.exec(['iptables', '-w', '-C', 'FORWARD', '-j', 'WEFT-FORWARD']);
        await this.exec(['iptables', '-w', '-t', 'nat', '-C', 'POSTROUTING', '-j', 'WEFT-POSTROUTING']);
        return true;
      } catch {
        return false;
      }
    });
  }

  /** Nothing is held open between calls. */
  close(): void {}

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

  private exec(argv: string[], input?: string): Promise<string> {
    return runCommand(argv, { input, netnsPath: this.opts.netnsPath });
  }
}

function byFamily(rules: PortRule[]): [Family, PortRule[]][] {
  const out: [Family, PortRule[]][] = [];
  for (const f of [4, 6] as const) {
    const rs = rules.filter((r) => r.family === f);
    if (rs.length) out.push([f, rs]);
  }
  return out;
}
