/**
 * weft's CNI plugins served by a running daemon (POST /weft/cni/<plugin>, reached through
 * the launcher in src/cni/launcher): the verbs of the exec'd plugins, run in-process on the
 * same state directories under the same flock, so exec'd and daemon calls mix on one
 * directory. What a daemon killed mid-verb leaves is what a killed plugin leaves: a record
 * DEL and GC find. The daemon's network namespace is the "host" one, so a caller in
 * another namespace is turned away (it then runs the plugin itself). Unlike an exec'd
 * plugin, the service keeps its netlink socket and nftables context open across calls.
 */
import fs from 'node:fs';
import type { LinkDeleter } from '../kernel/link-deleter.js';
import { invoke, type Handlers, type Outcome } from './invocation.js';
import { type KernelHandles, openKernel } from './attachment.js';
import { handlers as ipamHandlers } from './ipam-plugin.js';
import { cniHandlers, restoreServed } from './plugin.js';

/** The variables a runtime hands a plugin; nothing else of the caller's environment is taken. */
export const CNI_VARS = ['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_ARGS', 'CNI_PATH'] as const;

export interface CniCall {
  plugin: string;
  vars: { [k: string]: string };
  stdin: string;
  /** The inode of the caller's /proc/self/ns/net. */
  netnsInode: string;
}

export type CniReply = Outcome | 'unknown-plugin' | 'other-netns';

export class CniService {
  private readonly ownNetns = String(fs.statSync('/proc/self/ns/net').ino);
  private kernel?: KernelHandles;

  /** deleter: the daemon's, for DEL's veth deletes (see Attacher.unplug); its owner closes it. */
  constructor(private readonly deleter: LinkDeleter) {}
  private plugins?: { [name: string]: Handlers };

  async run(call: CniCall): Promise<CniReply> {
    const handlers = this.handlers()[call.plugin];
    if (!handlers) return 'unknown-plugin';
    if (call.netnsInode !== this.ownNetns) return 'other-netns';
    // The daemon's own PATH (for IPAM plugins weft-cni execs), never its CNI_* variables.
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CNI_')));
    for (const k of CNI_VARS) if (call.vars[k] !== undefined) env[k] = call.vars[k];
    return invoke(handlers, env, call.stdin);
  }

  /** After the daemon re-created weft's firewall: the CNI networks served so far, with their port maps. */
  async restoreFirewall(): Promise<void> {
    if (this.kernel) await restoreServed(this.kernel);
  }

  close(): void {
    this.kernel?.close();
  }

  /** Opened at the first call, so a daemon nobody asks for CNI holds no extra handles. */
  private handlers(): { [name: string]: Handlers } {
    if (!this.plugins) {
      this.kernel = openKernel({ deleter: this.deleter });
      this.plugins = { 'weft-cni': cniHandlers(this.kernel), 'weft-ipam': ipamHandlers };
    }
    return this.plugins;
  }
}
