/**
 * The kernel side of one CNI attachment, through weft's bridge driver: the network is a
 * bridge driver network named after the CNI network (its bridge, gateway addresses,
 * masquerade and isolation rules), the attachment an endpoint joined to the container's
 * namespace, and port maps its published ports (nftables map elements). Routes, hairpin
 * and promiscuous mode are the CNI bridge plugin's extras on top.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { BridgeDriver } from '../../drivers/bridge/bridge.js';
import type { EndpointInfo, IpamData, NetworkInfo } from '../contracts/driver.js';
import type { PortBinding } from '../contracts/firewall.js';
import { OPT_BRIDGE_NAME, OPT_MASQUERADE, OPT_MTU } from '../contracts/network-options.js';
import { NftablesBackend } from '../firewall/nftables.js';
import type { LinkDeleter } from '../kernel/link-deleter.js';
import { Rtnl } from '../kernel/rtnl.js';
import { type Served, ServedNetworks } from './served-networks.js';
import { canonicalCidr, ipToBuffer, ipVersion, splitCidr } from '../util/ip.js';
import type { NetConf, PortMap, Route } from './config.js';
import { CniError, CODE } from './errors.js';
import type { Interface } from './result.js';

/** What the state directory keeps of an attachment: enough to undo it without the config. */
export interface AttachmentRecord {
  containerId: string;
  ifname: string;
  netns: string;
  endpointId: string;
  bridge: string;
  ips: { address: string; gateway?: string }[];
  portMappings: PortMap[];
}

export function endpointId(network: string, containerId: string, ifname: string): string {
  return createHash('sha256').update(`${network}\0${containerId}\0${ifname}`).digest('hex');
}

type NetworkConf = Pick<NetConf, 'name' | 'bridge' | 'ipMasq' | 'mtu' | 'isGateway'>;

export function networkInfo(conf: NetworkConf, ips: AttachmentRecord['ips']): NetworkInfo {
  const pool = (ip: AttachmentRecord['ips'][number]): IpamData => {
    const { prefix } = splitCidr(ip.address);
    const gateway = conf.isGateway && ip.gateway ? `${ip.gateway}/${prefix}` : undefined;
    return { poolId: '', subnet: canonicalCidr(ip.address), ...(gateway ? { gateway } : {}), auxAddresses: {} };
  };
  return {
    id: createHash('sha256').update(`cni\0${conf.name}`).digest('hex'),
    name: conf.name, driver: 'bridge', scope: 'local', internal: false, attachable: true,
    enableIPv6: ips.some((ip) => ipVersion(ip.address) === 6),
    options: {
      [OPT_BRIDGE_NAME]: conf.bridge, [OPT_MASQUERADE]: String(conf.ipMasq), ...(conf.mtu ? { [OPT_MTU]: String(conf.mtu) } : {}),
    },
    labels: {},
    ipv4: ips.filter((ip) => ipVersion(ip.address) === 4).map(pool),
    ipv6: ips.filter((ip) => ipVersion(ip.address) === 6).map(pool),
    created: '',
  };
}

function endpoint(rec: AttachmentRecord, mac: string): EndpointInfo {
  const v4 = rec.ips.find((ip) => ipVersion(ip.address) === 4)?.address;
  const v6 = rec.ips.find((ip) => ipVersion(ip.address) === 6)?.address;
  const portBindings: PortBinding[] = rec.portMappings.map((p) => ({
    proto: p.protocol, hostIp: p.hostIP, hostPort: p.hostPort, containerPort: p.containerPort,
  }));
  return {
    id: rec.endpointId, name: rec.ifname, networkId: '', sandboxId: rec.containerId, ifName: rec.ifname, mac,
    ...(v4 ? { ipv4: v4 } : {}), ...(v6 ? { ipv6: v6 } : {}),
    aliases: [], portBindings, driverState: { hostIf: hostIfName(rec.endpointId) },
  };
}

/** The bridge driver's name for the host end of an endpoint's veth pair. */
export function hostIfName(epId: string): string {
  return `veth${epId.slice(0, 7)}`;
}

/** Docker's MAC scheme (02:42 and the IPv4 address), so a re-created interface keeps its MAC. */
function macFor(rec: AttachmentRecord, wanted?: string): string {
  if (wanted) return wanted;
  const v4 = rec.ips.find((ip) => ipVersion(ip.address) === 4);
  const tail = v4 ? [...ipToBuffer(splitCidr(v4.address).ip)] : [...Buffer.from(rec.endpointId.slice(0, 8), 'hex')];
  return ['02', '42', ...tail.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

function ipLink(dev: string, ...change: string[]): void {
  const r = spawnSync('ip', ['link', 'set', 'dev', dev, ...change], { encoding: 'utf8' });
  if (r.status !== 0) throw new CniError(CODE.failed, `ip link set ${dev} ${change.join(' ')} failed`, r.stderr || String(r.error ?? ''));
}

/**
 * The host namespace's netlink socket and nftables context the attachments are made with;
 * for a long-lived process also the networks it made and its LinkDeleter, which it owns
 * (their gains need a process that outlives one verb: the threads cost more to start than
 * one delete would save).
 */
export interface KernelHandles { host: Rtnl; firewall: NftablesBackend; deleter?: LinkDeleter; served?: ServedNetworks; close(): void }

export function openKernel(longLived?: { deleter: LinkDeleter }): KernelHandles {
  const host = Rtnl.open();
  const firewall = new NftablesBackend();
  const extras = longLived ? { deleter: longLived.deleter, served: new ServedNetworks() } : {};
  return { host, firewall, ...extras, close: () => { firewall.close(); host.close(); } };
}

export class Attacher {
  private readonly host: Rtnl;
  private readonly driver: BridgeDriver;

  /** dir: the state directory of the attachments made (see ServedNetworks). */
  constructor(private readonly kernel: KernelHandles, private readonly dir: string) {
    this.host = kernel.host;
    this.driver = new BridgeDriver({ host: kernel.host, firewall: kernel.firewall });
  }

  /** Build the attachment; returns the interfaces and routes for the result. */
  async plug(conf: NetConf, rec: AttachmentRecord): Promise<{ interfaces: Interface[]; routes: Route[] }> {
    const net = networkInfo(conf, rec.ips);
    const ep = endpoint(rec, macFor(rec, conf.mac));
    await this.ensureNetwork(conf, net);
    if (conf.promiscMode) ipLink(conf.bridge, 'promisc', 'on');
    await this.driver.createEndpoint(net, ep);
    const gw = await this.driver.join(net, ep, { id: rec.containerId, nsPath: rec.netns });
    const hostIf = ep.driverState.hostIf;
    // Through netlink (ip), not sysfs: /sys shows the namespace it was mounted in, not necessarily ours.
    if (conf.hairpinMode) ipLink(hostIf, 'type', 'bridge_slave', 'hairpin', 'on');
    const routes = await this.addRoutes(conf, rec, [gw.gateway4, gw.gateway6]);
    await this.driver.programExternalConnectivity(net, ep);
    const br = await this.host.link(conf.bridge);
    const veth = await this.host.link(hostIf);
    return {
      interfaces: [
        { name: conf.bridge, mac: br?.mac }, { name: hostIf, mac: veth?.mac }, { name: rec.ifname, mac: ep.mac, sandbox: rec.netns },
      ],
      routes,
    };
  }

  /**
   * Undo whatever of the attachment exists: port maps, then the veth pair (gone with its
   * namespace is fine). With a LinkDeleter this returns once both ends are unlisted, their
   * addresses and routes flushed and the host end off the bridge (the peer's RTM_DELLINK), so
   * an ADD of the same names right after succeeds; the kernel's unregister finishes meanwhile.
   */
  async unplug(rec: AttachmentRecord): Promise<void> {
    const conf = { name: '', bridge: rec.bridge, ipMasq: false, isGateway: false };
    if (rec.ips.length) await this.driver.revokeExternalConnectivity(networkInfo(conf, rec.ips), endpoint(rec, ''));
    const hostIf = hostIfName(rec.endpointId);
    if (!this.kernel.deleter) await this.host.deleteLink(hostIf);
    else await this.kernel.deleter.deletePair(hostIf, rec.netns ? { nsPath: rec.netns, ifName: rec.ifname } : undefined);
  }

  /** After a flushed ruleset: the network made again, and the port maps of its attachments. */
  async restore(s: Served, recs: AttachmentRecord[]): Promise<void> {
    await this.driver.createNetwork(s.net);
    for (const rec of recs) {
      if (rec.ips.length) await this.driver.programExternalConnectivity(networkInfo(s.conf, rec.ips), endpoint(rec, ''));
    }
  }

  private async ensureNetwork(conf: NetConf, net: NetworkInfo): Promise<void> {
    const { served } = this.kernel;
    if (served && (await served.current(this.dir, net, this.host))) return;
    await this.driver.createNetwork(net);
    await served?.remember({ conf, dir: this.dir, net }, this.host);
  }

  /** CHECK: the interface is in the namespace with its addresses, and its host end on the bridge. */
  async check(rec: AttachmentRecord): Promise<void> {
    const br = await this.host.link(rec.bridge);
    const veth = await this.host.link(hostIfName(rec.endpointId));
    if (!br || !veth || veth.master !== br.index) {
      throw new CniError(CODE.checkFailed, `${hostIfName(rec.endpointId)} is not on bridge ${rec.bridge}`);
    }
    const inner = Rtnl.open(rec.netns);
    try {
      const link = await inner.link(rec.ifname);
      if (!link) throw new CniError(CODE.checkFailed, `interface ${rec.ifname} is missing in ${rec.netns}`);
      const have = new Set((await inner.addresses(link.index)).map((a) => a.cidr));
      const missing = rec.ips.filter((ip) => !have.has(ip.address));
      if (missing.length) throw new CniError(CODE.checkFailed, `${rec.ifname} lacks ${missing.map((m) => m.address).join(', ')}`);
    } finally {
      inner.close();
    }
  }

  private async addRoutes(conf: NetConf, rec: AttachmentRecord, gateways: (string | undefined)[]): Promise<Route[]> {
    const routes: Route[] = [];
    for (const gw of gateways) if (conf.isDefaultGateway && gw) routes.push({ dst: ipVersion(gw) === 4 ? '0.0.0.0/0' : '::/0', gw });
    for (const r of conf.ipam?.routes ?? []) {
      const gw = r.gw ?? rec.ips.find((ip) => ipVersion(ip.address) === ipVersion(r.dst))?.gateway;
      if (!routes.some((x) => x.dst === r.dst)) routes.push({ dst: r.dst, ...(gw ? { gw } : {}) });
    }
    if (!routes.length) return routes;
    const inner = Rtnl.open(rec.netns);
    try {
      for (const r of routes) await inner.addRoute({ dst: r.dst, ...(r.gw ? { gateway: r.gw } : {}) });
    } finally {
      inner.close();
    }
    return routes;
  }
}
