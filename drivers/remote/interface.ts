/**
 * The sandbox side of a remote driver's endpoint. The plugin makes an interface in the
 * daemon's namespace and names it (SrcName); weft moves it into the sandbox under its
 * final name, gives it the endpoint's MAC and addresses and the plugin's static routes,
 * and on leave moves it back under its own name, so the plugin can delete what it made
 * (libnetwork's osl does the same).
 */
import fs from 'node:fs';
import { writeSysctl } from '../../src/kernel/sysctl.js';
import { Rtnl } from '../../src/kernel/rtnl.js';

/** The daemon's own namespace, where plugin interfaces are born and return to. */
const DAEMON_NS = '/proc/self/ns/net';

export interface StaticRoute {
  destination: string;
  /** Through a next hop (0) or directly on the interface's link (1), as in the protocol. */
  nextHop?: string;
}

export interface SandboxInterface {
  srcName: string;
  nsPath: string;
  /** Name inside the sandbox. */
  name: string;
  mac?: string;
  ipv4?: string;
  ipv6?: string;
  routes: StaticRoute[];
}

export async function adoptInterface(host: Rtnl, i: SandboxInterface): Promise<void> {
  const link = await host.requireLink(i.srcName);
  await host.setLink(link.index, { up: false });
  await host.setLink(link.index, { nsPath: i.nsPath });
  const inner = Rtnl.open(i.nsPath);
  try {
    const moved = await inner.requireLink(i.srcName);
    await inner.setLink(moved.index, { name: i.name, ...(i.mac ? { mac: i.mac } : {}) });
    if (i.ipv6) writeSysctl(`net/ipv6/conf/${i.name}/disable_ipv6`, '0', i.nsPath);
    if (i.ipv4) await inner.addAddress(moved.index, i.ipv4);
    if (i.ipv6) await inner.addAddress(moved.index, i.ipv6);
    await inner.setLink(moved.index, { up: true });
    for (const r of i.routes) {
      await inner.addRoute({ dst: r.destination, oif: moved.index, ...(r.nextHop ? { gateway: r.nextHop } : {}) });
    }
  } finally {
    inner.close();
  }
}

/** Back into the daemon's namespace as srcName; nothing when it is no longer in the sandbox. */
export async function releaseInterface(i: Pick<SandboxInterface, 'srcName' | 'nsPath' | 'name'>): Promise<void> {
  if (!fs.existsSync(i.nsPath)) return;
  const inner = Rtnl.open(i.nsPath);
  try {
    const link = (await inner.link(i.name)) ?? (await inner.link(i.srcName));
    if (!link) return;
    await inner.setLink(link.index, { up: false });
    if (link.name !== i.srcName) await inner.setLink(link.index, { name: i.srcName });
    await inner.setLink(link.index, { nsPath: DAEMON_NS });
  } finally {
    inner.close();
  }
}
