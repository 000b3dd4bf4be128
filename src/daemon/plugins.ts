/**
 * Remote drivers for the controller: a plugin named by a request (`-d NAME`,
 * `--ipam-driver NAME`) is found and activated then, and wrapped in the remote network
 * or IPAM driver. Each wrapper is made once per name; a plugin that fails to answer
 * while it is being made is asked again at the next request.
 */
import type pino from 'pino';
import { RemoteDriver } from '../../drivers/remote/remote.js';
import { RemoteIpam } from '../../ipam/remote/remote.js';
import type { NetworkDriver } from '../contracts/driver.js';
import type { IpamDriver } from '../contracts/ipam.js';
import type { DriverSource, PluginKind } from '../contracts/plugins.js';
import type { Rtnl } from '../kernel/rtnl.js';
import { type DiscoveryDirs } from '../plugins/discovery.js';
import { PendingCalls } from '../plugins/pending.js';
import { PluginRegistry } from '../plugins/registry.js';
import type { Store } from '../contracts/store.js';
import type { PluginClient } from '../plugins/client.js';

export interface PluginOptions {
  dirs: DiscoveryDirs;
  timeoutMs: number;
}

export function remoteDrivers(o: PluginOptions, store: Store, host: Rtnl, logger: pino.Logger): DriverSource {
  const registry = new PluginRegistry({ ...o, pending: new PendingCalls(store, logger) });
  const networks = new Map<string, Promise<NetworkDriver | undefined>>();
  const ipams = new Map<string, Promise<IpamDriver | undefined>>();
  const once = <T>(cache: Map<string, Promise<T | undefined>>, name: string, kind: PluginKind, make: (p: PluginClient) => Promise<T>) => {
    let made = cache.get(name);
    if (!made) {
      made = registry.get(name, kind).then((p) => (p ? make(p) : undefined));
      cache.set(name, made);
      // Not found or failed: look again next time (the plugin may appear or come back).
      made.then((d) => { if (!d) cache.delete(name); }, () => cache.delete(name));
    }
    return made;
  };
  return {
    networkDriver: (name) => once(networks, name, 'NetworkDriver', (p) => RemoteDriver.connect(p, host)),
    ipamDriver: (name) => once(ipams, name, 'IpamDriver', (p) => RemoteIpam.connect(p, logger)),
  };
}
