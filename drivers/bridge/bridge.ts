/**
 * The bridge driver: one Linux bridge per network carrying the gateway addresses, one
 * veth pair per endpoint with its peer born inside the sandbox, and firewall rules
 * (masquerade, isolation, ICC, internal, published ports) through the firewall backend.
 */
import { spawn } from 'node:child_process';
import { Conflict } from '../../src/util/errors.js';
import type { FirewallBackend, FirewallNetwork, PortMapping } from '../../src/contracts/firewall.js';
import { cidrContains, splitCidr } from '../../src/util/ip.js';
import type { Rtnl } from '../../src/kernel/rtnl.js';
import { readSysctl, writeSysctl } from '../../src/kernel/sysctl.js';
import { plugVeth } from '../../src/kernel/veth.js';
import type { LinkDeleter } from '../../src/kernel/link-deleter.js';
import type { EndpointAddresses, HostPortBinder } from '../../src/contracts/host-ports.js';
import type {
  DriverCapability, EndpointInfo, JoinResult, NetworkDriver, NetworkInfo, RestoredNetwork, SandboxInfo,
} from '../../src/contracts/driver.js';
import { parseBridgeOptions } from './options.js';
import { failpoint } from '../../src/util/failpoint.js';
import { removeStrayLinks } from './strays.js';

export interface BridgeDriverDeps {
  /** rtnetlink handle in the daemon's (host) namespace. */
  host: Rtnl;
  /** Deletes veth pairs off the daemon's thread, in the host namespace (absent: through `host`). */
  linkDeleter?: LinkDeleter;
  firewall: FirewallBackend;
  /** Host namespace path for sysctls when the daemon manages another namespace (tests). */
  hostNsPath?: string;
  /** Binds published TCP/UDP host ports (reservation + loopback relay); absent in unit tests. */
  hostPorts?: HostPortBinder;
  /** Every host interface reaches published container ports by address (daemon --allow-direct-routing). */
  allowDirectRouting?: boolean;
  /** Loopback clients are DNATed to containers (userland proxy off): the bridge routes 127.0.0.0/8 sources. */
  loopbackDnat?: boolean;
}

export class BridgeDriver implements NetworkDriver {
  readonly name = 'bridge';
  readonly capability: DriverCapability = { scope: 'local', needsIpam: true, userCreatable: true };

  constructor(private readonly deps: BridgeDriverDeps) {}

  validateNetwork(net: NetworkInfo): void {
    parseBridgeOptions(net);
  }

  hostInterface(net: NetworkInfo): string {
    return parseBridgeOptions(net).bridgeName;
  }

  /** An isolated family has no gateway address, on the host or in IPAM. */
  skipsGateway(net: NetworkInfo): { v4: boolean; v6: boolean } {
    const { gatewayModes } = parseBridgeOptions(net);
    return { v4: gatewayModes[4] === 'isolated', v6: gatewayModes[6] === 'isolated' };
  }

  firewallSpec(net: NetworkInfo): FirewallNetwork {
    const o = parseBridgeOptions(net);
    return {
      id: net.id,
      bridge: o.bridgeName,
      subnets4: net.ipv4.map((p) => p.subnet),
      subnets6: net.ipv6.map((p) => p.subnet),
      internal: net.internal,
      icc: o.icc,
      masquerade: o.masquerade && !net.internal,
      gatewayModes: o.gatewayModes,
      ...(o.hostIpv4 ? { hostIpv4: o.hostIpv4 } : {}),
      ...(o.hostIpv6 ? { hostIpv6: o.hostIpv6 } : {}),
      ...(o.trustedInterfaces.length ? { trustedInterfaces: o.trustedInterfaces } : {}),
      ...(this.deps.allowDirectRouting ? { allowDirectRouting: true } : {}),
    };
  }

  async createNetwork(net: NetworkInfo): Promise<void> {
    const o = parseBridgeOptions(net);
    const { host } = this.deps;
    const existing = await host.link(o.bridgeName);
    if (existing && existing.kind !== 'bridge') {
      throw new Conflict(`cannot create network ${net.name}: interface ${o.bridgeName} exists and is not a bridge`);
    }
    await this.enableForwarding(net);
    if (!existing) await host.createBridge(o.bridgeName, { mtu: o.mtu });
    try {
      const br = await host.requireLink(o.bridgeName);
      if (net.enableIPv6) writeSysctl(`net/ipv6/conf/${o.bridgeName}/disable_ipv6`, '0', this.deps.hostNsPath);
      if (this.deps.loopbackDnat) writeSysctl(`net/ipv4/conf/${o.bridgeName}/route_localnet`, '1', this.deps.hostNsPath);
      const isolated = this.skipsGateway(net);
      for (const pool of [...(isolated.v4 ? [] : net.ipv4), ...(isolated.v6 ? [] : net.ipv6)]) {
        if (pool.gateway) await host.addAddress(br.index, pool.gateway);
      }
      await host.setLink(br.index, { up: true });
      await this.deps.firewall.addNetwork(this.firewallSpec(net));
    } catch (err) {
      if (!existing) await host.deleteLink(o.bridgeName).catch(() => undefined);
      throw err;
    }
  }

  async deleteNetwork(net: NetworkInfo): Promise<void> {
    const spec = this.firewallSpec(net);
    await this.deps.firewall.removeNetwork(spec);
    await this.deps.host.deleteLink(spec.bridge);
  }

  async createEndpoint(_net: NetworkInfo, ep: EndpointInfo): Promise<void> {
    ep.driverState.hostIf = hostIfName(ep.id);
  }

  async deleteEndpoint(_net: NetworkInfo, ep: EndpointInfo): Promise<void> {
    if (ep.driverState.leftWithNamespace !== 'true') await this.deps.host.deleteLink(ep.driverState.hostIf ?? hostIfName(ep.id));
  }

  async join(net: NetworkInfo, ep: EndpointInfo, sb: SandboxInfo): Promise<JoinResult> {
    const o = parseBridgeOptions(net);
    const { host } = this.deps;
    const hostIf = ep.driverState.hostIf;
    const br = await host.requireLink(o.bridgeName);
    await plugVeth(host, {
      hostIf, bridgeIndex: br.index, ifName: ep.ifName, nsPath: sb.nsPath, mtu: o.mtu, mac: ep.mac, hairpin: true,
      ...(ep.ipv4 ? { ipv4: ep.ipv4 } : {}), ...(ep.ipv6 ? { ipv6: ep.ipv6 } : {}),
      ...(ep.linkLocalIps ? { linkLocal: ep.linkLocalIps } : {}),
    });
    if (net.internal) return {};
    const gw4 = net.ipv4.find((p) => p.gateway && ep.ipv4 && cidrContains(p.subnet, ep.ipv4))?.gateway;
    const gw6 = net.ipv6.find((p) => p.gateway && ep.ipv6 && cidrContains(p.subnet, ep.ipv6))?.gateway;
    return {
      ...(gw4 ? { gateway4: splitCidr(gw4).ip } : {}),
      ...(gw6 ? { gateway6: splitCidr(gw6).ip } : {}),
    };
  }

  async leave(_net: NetworkInfo, ep: EndpointInfo, sb: SandboxInfo): Promise<void> {
    if (sb.closing) {
      // The pair dies with the sandbox's namespace; the kernel's cleanup does it.
      ep.driverState.leftWithNamespace = 'true';
      return;
    }
    // Deleting the host side removes the pair, wherever the peer lives.
    const hostIf = ep.driverState.hostIf;
    const { linkDeleter, host } = this.deps;
    if (!linkDeleter) await host.deleteLink(hostIf);
    else await linkDeleter.deletePair(hostIf, sb.nsPath ? { nsPath: sb.nsPath, ifName: ep.ifName } : undefined);
  }

  /**
   * Bind the host ports first: a port held by another process is refused before any rule
   * exists. Then the DNAT rules; if they fail, the sockets close again.
   */
  async programExternalConnectivity(net: NetworkInfo, ep: EndpointInfo): Promise<void> {
    const mappings = this.mappings(net, ep);
    const proxied = proxyOnlyMappings(net, ep);
    if (!mappings.length && !proxied.length) return;
    const { hostPorts, firewall } = this.deps;
    // A routed port maps no host port: nothing to reserve or relay.
    await hostPorts?.bind(ep.id, [...mappings.filter((m) => !m.routed), ...proxied], containerAddresses(ep));
    failpoint('bridge.ports.bound');
    try {
      await firewall.addPortMappings(ep.id, mappings);
    } catch (err) {
      await hostPorts?.unbind(ep.id);
      throw err;
    }
  }

  async revokeExternalConnectivity(net: NetworkInfo, ep: EndpointInfo): Promise<void> {
    const mappings = this.mappings(net, ep);
    if (!mappings.length && !proxyOnlyMappings(net, ep).length) return;
    await this.deps.firewall.removePortMappings(ep.id, mappings);
    failpoint('bridge.ports.unmapped');
    await this.deps.hostPorts?.unbind(ep.id);
    // A UDP flow keeps its conntrack entry (and so its old DNAT) while packets keep
    // coming; drop the entries of removed UDP ports so a new mapping takes effect.
    const udp = new Set(mappings.filter((m) => m.proto === 'udp').flatMap((m) => range(m.hostPort, m.hostPortEnd)));
    for (const port of udp) await flushConntrack('udp', port);
  }

  async restoreNetwork(net: NetworkInfo, endpoints: { ep: EndpointInfo; sb: SandboxInfo }[]): Promise<void> {
    // createNetwork is idempotent: re-adds a missing bridge, addresses and rules.
    await this.createNetwork(net);
    for (const { ep, sb } of endpoints) {
      const veth = await this.deps.host.link(ep.driverState.hostIf);
      if (!veth) {
        await this.join(net, ep, sb);
      } else {
        const br = await this.deps.host.requireLink(parseBridgeOptions(net).bridgeName);
        if (veth.master !== br.index || !veth.up) await this.deps.host.setLink(veth.index, { master: br.index, up: true });
      }
      await this.programExternalConnectivity(net, ep);
    }
  }

  /** Links and published ports of weft's bridges that none of the networks' endpoints own go. */
  async sweepStrays(networks: RestoredNetwork[]): Promise<string[]> {
    const bridges = new Set(networks.map(({ net }) => parseBridgeOptions(net).bridgeName));
    const veths = new Set(networks.flatMap(({ endpoints }) => endpoints.map(({ ep }) => ep.driverState.hostIf ?? hostIfName(ep.id))));
    const removed = await removeStrayLinks(this.deps.host, this.deps.firewall, { bridges, veths });
    const published = networks.flatMap(({ net, endpoints }) => endpoints.flatMap(({ ep }) => this.mappings(net, ep)));
    await this.deps.firewall.syncPortMappings(published);
    return removed;
  }

  private mappings(net: NetworkInfo, ep: EndpointInfo): PortMapping[] {
    if (net.internal) return []; // like Docker: nothing is published from an internal network
    const o = parseBridgeOptions(net);
    const bridge = o.bridgeName;
    const direct = this.deps.allowDirectRouting || o.trustedInterfaces.length > 0;
    const routed = (f: 4 | 6) => (o.gatewayModes[f] === 'routed' ? { routed: true } : direct ? { direct: true } : {});
    const out: PortMapping[] = [];
    for (const b of ep.portBindings) {
      // An IPv6-only endpoint publishes an unspecified host IP on IPv6 only.
      const v6Host = b.hostIp.includes(':') || (!b.hostIp && !ep.ipv4);
      const containerIp = v6Host ? ep.ipv6 : ep.ipv4;
      const hostIp = v6Host && !b.hostIp ? '::' : b.hostIp;
      if (containerIp) out.push({ ...b, hostIp, containerIp: splitCidr(containerIp).ip, bridge, ...routed(v6Host ? 6 : 4) });
      // An unspecified host IP publishes on both families when the endpoint has both.
      if (!b.hostIp && ep.ipv6 && ep.ipv4) out.push({ ...b, hostIp: '::', containerIp: splitCidr(ep.ipv6).ip, bridge, ...routed(6) });
    }
    return out;
  }

  private async enableForwarding(net: NetworkInfo): Promise<void> {
    const keys: [4 | 6, string][] = [[4, 'net/ipv4/ip_forward']];
    if (net.enableIPv6) keys.push([6, 'net/ipv6/conf/all/forwarding']);
    for (const [family, key] of keys) {
      if (readSysctl(key, this.deps.hostNsPath) === '1') continue;
      writeSysctl(key, '1', this.deps.hostNsPath);
      await this.deps.firewall.forwardingEnabled?.(family);
    }
  }
}

/**
 * An IPv6 host address published from an endpoint without IPv6 has no DNAT (no IPv6 to go
 * to); like dockerd's proxy, the host socket alone relays it to the IPv4 address.
 */
function proxyOnlyMappings(net: NetworkInfo, ep: EndpointInfo): PortMapping[] {
  if (net.internal || ep.ipv6 || !ep.ipv4) return [];
  const bridge = parseBridgeOptions(net).bridgeName;
  const ipv4 = splitCidr(ep.ipv4).ip;
  return ep.portBindings.filter((b) => b.hostIp.includes(':') && b.proto !== 'sctp').map((b) => ({ ...b, containerIp: ipv4, bridge }));
}

function containerAddresses(ep: EndpointInfo): EndpointAddresses {
  return { ...(ep.ipv4 ? { ipv4: splitCidr(ep.ipv4).ip } : {}), ...(ep.ipv6 ? { ipv6: splitCidr(ep.ipv6).ip } : {}) };
}

/** Deterministic host-side name, so reconciliation finds it from the endpoint id alone. */
function hostIfName(endpointId: string): string {
  return `veth${endpointId.slice(0, 7)}`;
}

function range(first: number, last = first): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** `conntrack -D` exits 1 when nothing matched; either way the table is clean after. */
function flushConntrack(proto: string, port: number): Promise<void> {
  return new Promise((resolve) => {
    const p = spawn('conntrack', ['-D', '-p', proto, '--dport', String(port)], { stdio: 'ignore' });
    p.on('error', () => resolve());
    p.on('close', () => resolve());
  });
}
