/**
 * Docker's plugin protocol (v1 plugins: JSON over HTTP POST, one path per method) as the
 * remote network and IPAM drivers see it: a named plugin they can call. Discovery,
 * activation, transport and timeouts belong to the machinery behind this interface.
 */
import type { NetworkDriver } from './driver.js';
import type { IpamDriver } from './ipam.js';

export type PluginKind = 'NetworkDriver' | 'IpamDriver';

export interface CallOptions {
  /**
   * The method is optional in the protocol: a plugin that answers 404 does not implement
   * it, and the call resolves to undefined instead of failing.
   */
  optional?: boolean;
  /**
   * A clean-up call whose effect weft's records already assume (an endpoint's leave and
   * delete, an address or pool released): if the plugin cannot be reached it still fails,
   * and is also kept and sent once the plugin is back, before anything else.
   */
  cleanup?: boolean;
}

export interface PluginEndpoint {
  readonly name: string;
  /** POST /<method> with body as JSON; the reply's JSON, or an error naming the plugin and method. */
  call<T>(method: string, body: unknown, opts?: CallOptions): Promise<T | undefined>;
}

/** Drivers found at run time, by the name a request gives (`-d NAME`, `--ipam-driver NAME`). */
export interface DriverSource {
  /** undefined: no plugin of that name implements NetworkDriver. */
  networkDriver(name: string): Promise<NetworkDriver | undefined>;
  ipamDriver(name: string): Promise<IpamDriver | undefined>;
}
