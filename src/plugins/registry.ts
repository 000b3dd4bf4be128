/**
 * The plugins this daemon knows, by name: one client each, made when a request first
 * names the plugin and activated then (not at start), as dockerd does for v1 plugins.
 */
import type { PluginKind } from '../contracts/plugins.js';
import { NotFound } from '../util/errors.js';
import { PluginClient } from './client.js';
import { locatePlugin, type DiscoveryDirs } from './discovery.js';
import type { PendingCalls } from './pending.js';

export interface PluginRegistryOptions {
  dirs: DiscoveryDirs;
  /** Per-call timeout. */
  timeoutMs: number;
  /** Where clean-up calls a plugin missed are kept until it is back. */
  pending?: PendingCalls;
}

export class PluginRegistry {
  private readonly clients = new Map<string, PluginClient>();

  constructor(private readonly o: PluginRegistryOptions) {}

  /**
   * The activated plugin `name` implementing `kind`; undefined when no plugin of that name
   * exists. Throws when it exists but cannot be activated or implements something else.
   */
  async get(name: string, kind: PluginKind): Promise<PluginClient | undefined> {
    let client = this.clients.get(name);
    if (!client) {
      if (!locatePlugin(name, this.o.dirs)) return undefined;
      client = new PluginClient(name, () => locatePlugin(name, this.o.dirs), this.o.timeoutMs, this.o.pending);
      this.clients.set(name, client);
    }
    const implemented = await client.implements();
    // dockerd's ErrNotImplements, naming the plugin.
    if (!implemented.includes(kind)) throw new NotFound(`plugin "${name}": Plugin does not implement the requested driver`);
    return client;
  }
}
