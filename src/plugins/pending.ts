/**
 * Clean-up calls a plugin missed while it was gone (DeleteEndpoint, Leave, DeleteNetwork,
 * ReleaseAddress, …: the undo of an operation it died in the middle of, or a forced
 * removal). They are kept in the store, in order, and sent once the plugin answers again,
 * before anything new, so what it holds comes back in line with weft's records, which
 * were right all along. A call the plugin refuses on replay is dropped with a warning.
 */
import type { Store } from '../contracts/store.js';

const PREFIX = 'plugin-pending/';

export interface PendingCall { plugin: string; method: string; body: unknown }

export interface PendingLog { warn(obj: object, msg: string): void }

export class PendingCalls {
  private seq = 0;

  constructor(private readonly store: Store, private readonly log: PendingLog) {}

  async add(call: PendingCall): Promise<void> {
    // Keys sort in the order the calls were made: time, then a counter within this process.
    const key = `${PREFIX}${call.plugin}/${Date.now().toString().padStart(15, '0')}-${String(this.seq++).padStart(6, '0')}`;
    await this.store.put(key, call);
  }

  /**
   * Send plugin's missed calls through `send`, oldest first. Stops at the first one that
   * cannot reach the plugin (it stays for next time); throws that error.
   */
  async replay(plugin: string, send: (c: PendingCall) => Promise<void>, unreachable: (err: unknown) => boolean): Promise<void> {
    for (const r of await this.store.list<PendingCall>(`${PREFIX}${plugin}/`)) {
      try {
        await send(r.value);
      } catch (err) {
        if (unreachable(err)) throw err;
        this.log.warn({ err, plugin, method: r.value.method }, 'the plugin refused a clean-up call it had missed; dropping it');
      }
      await this.store.delete(r.key);
    }
  }
}
