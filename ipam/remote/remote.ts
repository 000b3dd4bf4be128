/**
 * An IPAM driver that is a plugin (libnetwork's remote IPAM): pools and addresses are
 * asked of it with Docker's IpamDriver protocol. A plugin cannot join weft's units of
 * work, so a change made inside one is tied to the unit's outcome instead: a reservation
 * is given back if the unit is abandoned, and a release is sent only once the unit commits.
 * Calls go to the plugin one at a time in the order they were made, so a release queued at
 * a commit reaches the plugin before any later request for the same subnet.
 */
import type { AddressRequestOptions, IpamCapability, IpamDriver, PoolRequest, PoolResponse } from '../../src/contracts/ipam.js';
import type { PluginEndpoint } from '../../src/contracts/plugins.js';
import type { Transaction } from '../../src/contracts/store.js';
import { InvalidArgument } from '../../src/util/errors.js';
import { Serial } from '../../src/util/lock.js';

/** libnetwork's RequestAddressType option, marking the request for a network's gateway. */
const ADDRESS_TYPE = 'RequestAddressType';
const GATEWAY_TYPE = 'com.docker.network.gateway';

export interface Log { warn(obj: object, msg: string): void }

export class RemoteIpam implements IpamDriver {
  readonly name: string;
  private readonly calls = new Serial();

  private constructor(
    private readonly plugin: PluginEndpoint,
    readonly capability: IpamCapability,
    private readonly spaces: { local: string; global: string },
    private readonly log: Log,
  ) {
    this.name = plugin.name;
  }

  /** The driver of an activated plugin: its capabilities and default address spaces. */
  static async connect(plugin: PluginEndpoint, log: Log): Promise<RemoteIpam> {
    const caps = await plugin.call<{ RequiresMACAddress?: boolean }>('IpamDriver.GetCapabilities', {}, { optional: true });
    const spaces = await plugin.call<{ LocalDefaultAddressSpace?: string; GlobalDefaultAddressSpace?: string }>(
      'IpamDriver.GetDefaultAddressSpaces', {});
    return new RemoteIpam(plugin, { requiresMac: !!caps?.RequiresMACAddress },
      { local: spaces?.LocalDefaultAddressSpace ?? '', global: spaces?.GlobalDefaultAddressSpace ?? '' }, log);
  }

  private send<T>(method: string, body: unknown): Promise<T | undefined> {
    const cleanup = method.startsWith('Release');
    return this.calls.run(() => this.plugin.call<T>(`IpamDriver.${method}`, body, { cleanup }));
  }

  defaultAddressSpaces(): { local: string; global: string } {
    return { ...this.spaces };
  }

  async requestPool(req: PoolRequest, tx?: Transaction): Promise<PoolResponse> {
    const res = await this.send<{ PoolID?: string; Pool?: string }>('RequestPool', {
      AddressSpace: req.addressSpace ?? this.spaces.local,
      Pool: req.pool ?? '',
      SubPool: req.subPool ?? '',
      Options: req.options ?? {},
      V6: req.v6,
    });
    if (!res?.PoolID || !res.Pool) throw new InvalidArgument(`plugin "${this.name}": RequestPool answered without PoolID and Pool`);
    const poolId = res.PoolID;
    this.onAbandon(tx, 'pool', () => this.releasePool(poolId));
    return { poolId, pool: res.Pool };
  }

  async releasePool(poolId: string, tx?: Transaction): Promise<void> {
    if (tx) this.onCommit(tx, 'pool', () => this.releasePool(poolId));
    else await this.send('ReleasePool', { PoolID: poolId });
  }

  async requestAddress(poolId: string, address?: string, opts: AddressRequestOptions = {}, tx?: Transaction): Promise<string> {
    const res = await this.send<{ Address?: string }>('RequestAddress', {
      PoolID: poolId,
      Address: address ?? '',
      Options: opts.gateway ? { [ADDRESS_TYPE]: GATEWAY_TYPE } : {},
    });
    const got = res?.Address;
    if (!got || !got.includes('/')) {
      throw new InvalidArgument(`plugin "${this.name}": RequestAddress answered without an address "ip/prefix"`);
    }
    this.onAbandon(tx, 'address', () => this.releaseAddress(poolId, got));
    return got;
  }

  async releaseAddress(poolId: string, address: string, tx?: Transaction): Promise<void> {
    if (tx) this.onCommit(tx, 'address', () => this.releaseAddress(poolId, address));
    else await this.send('ReleaseAddress', { PoolID: poolId, Address: address.split('/')[0] });
  }

  private onAbandon(tx: Transaction | undefined, what: string, undo: () => Promise<void>): void {
    tx?.onSettle((committed) => { if (!committed) this.settle(what, undo); });
  }

  private onCommit(tx: Transaction, what: string, release: () => Promise<void>): void {
    tx.onSettle((committed) => { if (committed) this.settle(what, release); });
  }

  /** A plugin that is gone keeps what it was asked to give back: logged, weft's records are right either way. */
  private settle(what: string, fn: () => Promise<void>): void {
    fn().catch((err) => this.log.warn({ err, plugin: this.name }, `giving the ${what} back to the IPAM plugin failed`));
  }
}
