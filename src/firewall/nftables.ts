/**
 * The nftables backend: one `table inet weft`, one nft transaction per operation, run
 * in-process through libnftables when possible (see libnftables.ts and nft-rules.ts).
 *
 * Operations other than init() do not redeclare the table: if it is gone (someone ran
 * `nft flush ruleset`), the transaction fails, and the backend re-runs init() and
 * retries once. (Redeclaring sets in every transaction would not help anyway: nft 1.0.6
 * cannot add interval elements to a set created in the same transaction.)
 */
import { expandMappings, type FirewallOptions } from './common.js';
import { Serial } from '../util/lock.js';
import { NftRunner } from './libnftables.js';
import type { FirewallBackend, FirewallNetwork, NetworkCounter, PortCounter, PortMapping } from '../contracts/firewall.js';
import { NFPROTO_INET, NfnlHandle } from '../kernel/nfnetlink.js';
import { tableRules } from '../kernel/nft-table-rules.js';
import { countNetworks, networkChain } from './network-counters.js';
import { nftLoopbackDnatScript } from './loopback-dnat.js';
import { PortCounterReader } from './nft-counters.js';
import { nftUserChainScript } from './user-chain.js';
import { nftInputModeScript } from './input-mode.js';
import {
  addNetworkScript, addPortsScript, initScript, NET_CHAINS, removeNetworkScript, removePortsScript, syncPortsScript, TABLE, teardownScript,
} from './nft-rules.js';

export interface NftablesOptions extends FirewallOptions {
  /** Use `nft -f -` even when libnftables can be loaded (tests, debugging). */
  forceExec?: boolean;
}

export class NftablesBackend implements FirewallBackend {
  readonly name = 'nftables' as const;
  private readonly nft: NftRunner;
  private readonly serial = new Serial();
  private readonly counters: NfnlHandle;
  private readonly countReader = new PortCounterReader();

  constructor(private readonly opts: NftablesOptions = {}) {
    this.nft = new NftRunner(opts);
    this.counters = new NfnlHandle(opts.netnsPath);
  }

  /** Whether scripts run in-process (libnftables) rather than through `nft`. */
  get inProcess(): boolean {
    return this.nft.inProcess;
  }

  init(): Promise<void> {
    return this.serial.run(() => this.exec(this.initText()));
  }

  addNetwork(net: FirewallNetwork): Promise<void> {
    return this.serial.run(() => this.apply(addNetworkScript(net)));
  }

  removeNetwork(net: FirewallNetwork): Promise<void> {
    return this.serial.run(() => this.remove(removeNetworkScript(net)));
  }

  addPortMappings(_endpointId: string, mappings: PortMapping[]): Promise<void> {
    const rules = expandMappings(mappings);
    if (!rules.length) return Promise.resolve();
    return this.serial.run(() => this.apply(addPortsScript(rules)));
  }

  removePortMappings(_endpointId: string, mappings: PortMapping[]): Promise<void> {
    const rules = expandMappings(mappings);
    if (!rules.length) return Promise.resolve();
    return this.serial.run(() => this.remove(removePortsScript(rules)));
  }

  syncPortMappings(mappings: PortMapping[]): Promise<void> {
    const rules = expandMappings(mappings);
    return this.serial.run(() => this.apply(syncPortsScript(rules)));
  }

  teardown(): Promise<void> {
    return this.serial.run(() => this.exec(teardownScript()));
  }

  /** The base chain that dispatches to every network is there (the table alone may be empty). */
  healthy(): Promise<boolean> {
    return this.serial.run(async () => {
      try {
        const out = await this.nft.run(`list chain ${TABLE} forward`);
        return out.includes('@net-from');
      } catch {
        return false;
      }
    });
  }

  /** The counting sets' elements, dumped over netlink: no need to wait for a transaction in progress. */
  portCounters(): Promise<PortCounter[]> {
    return this.countReader.read(this.counters.get());
  }

  /** The counters of every network chain's rules: one rule dump of the table (none while it is missing). */
  async networkCounters(): Promise<NetworkCounter[]> {
    const rules = await tableRules(this.counters.get(), NFPROTO_INET, TABLE.split(' ')[1], networkChain(NET_CHAINS)).catch(() => []);
    return countNetworks([rules], NET_CHAINS);
  }

  /** Release the open libnftables context and counter socket (they pin the namespace); usable again after. */
  close(): void {
    this.nft.close();
    this.counters.close();
  }

  /** Run an addition; if it fails, repair the base (init) and try once more. */
  private async apply(script: string): Promise<void> {
    try {
      await this.exec(script);
    } catch (err) {
      this.opts.logger?.warn({ err }, 'nft transaction failed; re-initialising the weft table and retrying');
      await this.exec(this.initText());
      await this.exec(script);
    }
  }

  /** The base table, with the loopback DNAT when the userland proxy is off, the user chain, and input mode's skip. */
  private initText(): string {
    const loopback = this.opts.loopbackDnat ? nftLoopbackDnatScript() : '';
    const mode = this.opts.publishedPortsFirewall;
    return initScript() + loopback + nftUserChainScript(TABLE, mode) + nftInputModeScript(TABLE, mode);
  }

  /** Run a removal; with no weft table at all there is nothing to remove. */
  private async remove(script: string): Promise<void> {
    try {
      await this.exec(script);
    } catch (err) {
      if (!(await this.tableExists())) return;
      throw err;
    }
  }

  private async tableExists(): Promise<boolean> {
    try {
      await this.nft.run(`list table ${TABLE}`);
      return true;
    } catch {
      return false;
    }
  }

  private async exec(script: string): Promise<void> {
    this.opts.logger?.debug({ script }, 'nft');
    await this.nft.run(script);
  }
}
