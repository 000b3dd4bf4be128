/**
 * The CNI networks a long-lived process (the daemon) has made, with the state directory
 * each lives in: an ADD skips re-making a network made as it wants it, on the same bridge
 * link (the bridge's addresses, sysctls and nftables chains cost ~10-20 ms and are there);
 * and after someone flushed the ruleset, the daemon's repair re-makes each network and
 * re-maps its attachments' ports (Attacher.restore), as it does for its own networks.
 */
import type { NetworkInfo } from '../contracts/driver.js';
import type { Rtnl } from '../kernel/rtnl.js';
import type { NetConf } from './config.js';

export interface Served { conf: NetConf; dir: string; net: NetworkInfo }

export class ServedNetworks {
  private readonly made = new Map<string, Served & { spec: string; bridgeIndex: number }>();

  /** Whether net was made as it is wanted and its bridge is still the link it was made on. */
  async current(dir: string, net: NetworkInfo, host: Rtnl): Promise<boolean> {
    const m = this.made.get(`${dir}\0${net.name}`);
    if (!m || m.spec !== JSON.stringify(net)) return false;
    return (await host.link(m.conf.bridge))?.index === m.bridgeIndex;
  }

  async remember(s: Served, host: Rtnl): Promise<void> {
    const br = await host.link(s.conf.bridge);
    if (br) this.made.set(`${s.dir}\0${s.net.name}`, { ...s, spec: JSON.stringify(s.net), bridgeIndex: br.index });
  }

  list(): Served[] {
    return [...this.made.values()];
  }
}
