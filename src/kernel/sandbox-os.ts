/** The controller's sandbox kernel work: namespaces, their loopback and default routes. */
import type { SandboxGateways, SandboxOs } from '../contracts/sandbox-os.js';
import { createNetns, deleteNetns, isNetnsMount, pinNetns } from './netns.js';
import type { NetnsPool } from './netns-pool.js';
import { Rtnl } from './rtnl.js';
import { writeSysctl } from './sysctl.js';

/** The kernel's main routing table. */
const MAIN_TABLE = 254;
const AF_INET = 2;
const AF_INET6 = 10;

export class KernelSandboxOs implements SandboxOs {
  /** host: rtnetlink handle of the daemon's (host) namespace; pool: namespaces made ahead of need. */
  constructor(private readonly host: Rtnl, private readonly pool?: NetnsPool) {}

  async hostRoutes(): Promise<string[]> {
    const out: string[] = [];
    for (const family of [AF_INET, AF_INET6]) {
      for (const r of await this.host.routes(family)) {
        if (r.table !== MAIN_TABLE || r.dst.endsWith('/0')) continue;
        if (family === AF_INET6 && r.dst.startsWith('fe80:')) continue;
        out.push(r.dst);
      }
    }
    return out;
  }

  async createNamespace(nsPath: string): Promise<void> {
    deleteNetns(nsPath); // a stale mount or file of an earlier life
    if (this.pool?.takeInto(nsPath)) return;
    createNetns(nsPath);
    await this.inside(nsPath, async (h) => h.setLink((await h.requireLink('lo')).index, { up: true }));
  }

  deleteNamespace(nsPath: string): void {
    deleteNetns(nsPath);
  }

  isPinned(nsPath: string): boolean {
    return isNetnsMount(nsPath);
  }

  pinProcessNamespace(pid: number, nsPath: string): void {
    pinNetns(`/proc/${pid}/ns/net`, nsPath);
  }

  async setDefaultRoute(nsPath: string, ifName: string, gw: SandboxGateways): Promise<void> {
    await this.inside(nsPath, async (h) => {
      const link = await h.requireLink(ifName);
      if (gw.gateway4) await h.addRoute({ dst: 'default', gateway: gw.gateway4, oif: link.index });
      if (gw.gateway6) await h.addRoute({ dst: 'default', gateway: gw.gateway6, oif: link.index });
    });
  }

  setSysctls(nsPath: string, sysctls: { key: string; value: string }[]): void {
    for (const s of sysctls) writeSysctl(s.key, s.value, nsPath);
  }

  private async inside(nsPath: string, fn: (h: Rtnl) => Promise<void>): Promise<void> {
    const h = Rtnl.open(nsPath);
    try {
      await fn(h);
    } finally {
      h.close();
    }
  }
}
