/**
 * A network driver that is a plugin (libnetwork's remote driver): each driver step is a
 * call of Docker's NetworkDriver protocol, and weft does the sandbox side of a join
 * (interface.ts). The plugin owns its own state; weft's records say what exists, and a
 * step the plugin fails fails the operation, which the controller then rolls back.
 */
import type {
  DriverCapability, EndpointInfo, IpamData, JoinResult, NetworkDriver, NetworkInfo, SandboxInfo,
} from '../../src/contracts/driver.js';
import type { PluginEndpoint } from '../../src/contracts/plugins.js';
import { InvalidArgument } from '../../src/util/errors.js';
import { splitCidr } from '../../src/util/ip.js';
import type { Rtnl } from '../../src/kernel/rtnl.js';
import { adoptInterface, releaseInterface, type StaticRoute } from './interface.js';
import { exposedPorts, portMap } from './ports.js';

const GENERIC = 'com.docker.network.generic';
/** driverState keys. */
const SRC_NAME = 'remote.srcName';

interface JoinResponse {
  InterfaceName?: { SrcName?: string; DstPrefix?: string };
  Gateway?: string;
  GatewayIPv6?: string;
  StaticRoutes?: { Destination?: string; RouteType?: number; NextHop?: string }[];
  DisableGatewayService?: boolean;
}

interface EndpointInterface { Address?: string; AddressIPv6?: string; MacAddress?: string }

export class RemoteDriver implements NetworkDriver {
  readonly name: string;

  private constructor(private readonly plugin: PluginEndpoint, private readonly host: Rtnl, readonly capability: DriverCapability) {
    this.name = plugin.name;
  }

  /** The driver of an activated plugin, with the scope its GetCapabilities gives. */
  static async connect(plugin: PluginEndpoint, host: Rtnl): Promise<RemoteDriver> {
    const caps = await plugin.call<{ Scope?: string }>('NetworkDriver.GetCapabilities', {});
    const scope = caps?.Scope === 'global' ? 'global' : 'local';
    return new RemoteDriver(plugin, host, { scope, needsIpam: true, userCreatable: true });
  }

  /** The plugin checks its options itself, at CreateNetwork. */
  validateNetwork(_net: NetworkInfo): void {}

  async allocateNetwork(net: NetworkInfo): Promise<void> {
    if (this.capability.scope === 'local') return;
    const res = await this.plugin.call<{ Options?: { [k: string]: string } }>('NetworkDriver.AllocateNetwork',
      { NetworkID: net.id, Options: net.options, IPv4Data: ipamData(net.ipv4), IPv6Data: ipamData(net.ipv6) }, { optional: true });
    for (const [k, v] of Object.entries(res?.Options ?? {})) if (typeof v === 'string') net.options[k] = v;
  }

  async freeNetwork(net: NetworkInfo): Promise<void> {
    if (this.capability.scope === 'local') return;
    await this.plugin.call('NetworkDriver.FreeNetwork', { NetworkID: net.id }, { optional: true });
  }

  async createNetwork(net: NetworkInfo): Promise<void> {
    await this.plugin.call('NetworkDriver.CreateNetwork', {
      NetworkID: net.id,
      Options: { [GENERIC]: net.options, 'com.docker.network.enable_ipv6': net.enableIPv6, 'com.docker.network.internal': net.internal },
      IPv4Data: ipamData(net.ipv4),
      IPv6Data: ipamData(net.ipv6),
    });
  }

  async deleteNetwork(net: NetworkInfo): Promise<void> {
    // Not kept for later when the plugin is gone: a refused delete leaves the network as it was.
    await this.plugin.call('NetworkDriver.DeleteNetwork', { NetworkID: net.id });
  }

  /** The plugin may fill in what weft left empty; an address it contradicts is refused, as libnetwork does. */
  async createEndpoint(net: NetworkInfo, ep: EndpointInfo): Promise<void> {
    const res = await this.plugin.call<{ Interface?: EndpointInterface | null }>('NetworkDriver.CreateEndpoint', {
      NetworkID: net.id,
      EndpointID: ep.id,
      Interface: { Address: ep.ipv4 ?? '', AddressIPv6: ep.ipv6 ?? '', MacAddress: ep.mac },
      Options: { ...(ep.driverOpts ?? {}) },
    });
    const got = res?.Interface ?? {};
    if ((got.Address && ep.ipv4 && got.Address !== ep.ipv4) || (got.AddressIPv6 && ep.ipv6 && got.AddressIPv6 !== ep.ipv6)) {
      await this.deleteEndpoint(net, ep).catch(() => undefined);
      throw new InvalidArgument(`plugin "${this.name}" tried to change the endpoint's address assigned by IPAM`);
    }
    if (got.Address) ep.ipv4 = got.Address;
    if (got.AddressIPv6) ep.ipv6 = got.AddressIPv6;
    if (got.MacAddress) ep.mac = got.MacAddress;
  }

  async deleteEndpoint(net: NetworkInfo, ep: EndpointInfo): Promise<void> {
    await this.plugin.call('NetworkDriver.DeleteEndpoint', { NetworkID: net.id, EndpointID: ep.id }, { cleanup: true });
  }

  async join(net: NetworkInfo, ep: EndpointInfo, sb: SandboxInfo): Promise<JoinResult> {
    if (!sb.nsPath) throw new InvalidArgument(`network ${net.name} (plugin "${this.name}") cannot be joined in the host's namespace`);
    const res = await this.plugin.call<JoinResponse>('NetworkDriver.Join',
      { NetworkID: net.id, EndpointID: ep.id, SandboxKey: sb.nsPath, Options: {} });
    const src = res?.InterfaceName?.SrcName;
    try {
      if (!src) throw new InvalidArgument(`plugin "${this.name}": Join answered without InterfaceName.SrcName`);
      const prefix = res?.InterfaceName?.DstPrefix || 'eth';
      ep.ifName = `${prefix}${ep.ifName.replace(/^\D+/, '') || '0'}`;
      ep.driverState[SRC_NAME] = src;
      await adoptInterface(this.host, { srcName: src, nsPath: sb.nsPath, name: ep.ifName, mac: ep.mac, routes: staticRoutes(res!),
        ...(ep.ipv4 ? { ipv4: ep.ipv4 } : {}), ...(ep.ipv6 ? { ipv6: ep.ipv6 } : {}) });
    } catch (err) {
      await this.leave(net, ep, sb).catch(() => undefined);
      throw err;
    }
    const gateway4 = res?.Gateway ? res.Gateway.split('/')[0] : undefined;
    const gateway6 = res?.GatewayIPv6 ? res.GatewayIPv6.split('/')[0] : undefined;
    return {
      ...(gateway4 ? { gateway4 } : {}),
      ...(gateway6 ? { gateway6 } : {}),
      ...(!gateway4 && !gateway6 && !res?.DisableGatewayService ? { gatewayService: true } : {}),
    };
  }

  async leave(net: NetworkInfo, ep: EndpointInfo, sb: SandboxInfo): Promise<void> {
    const src = ep.driverState[SRC_NAME];
    if (src && sb.nsPath) await releaseInterface({ srcName: src, nsPath: sb.nsPath, name: ep.ifName });
    await this.plugin.call('NetworkDriver.Leave', { NetworkID: net.id, EndpointID: ep.id }, { cleanup: true });
  }

  async programExternalConnectivity(net: NetworkInfo, ep: EndpointInfo): Promise<void> {
    const Options = {
      'com.docker.network.portmap': portMap(ep.portBindings),
      'com.docker.network.endpoint.exposedports': exposedPorts(ep.portBindings),
    };
    const body = { NetworkID: net.id, EndpointID: ep.id, Options };
    await this.plugin.call('NetworkDriver.ProgramExternalConnectivity', body, { optional: true });
  }

  async revokeExternalConnectivity(net: NetworkInfo, ep: EndpointInfo): Promise<void> {
    const body = { NetworkID: net.id, EndpointID: ep.id };
    await this.plugin.call('NetworkDriver.RevokeExternalConnectivity', body, { optional: true, cleanup: true });
  }

  /** The plugin keeps its own state across a daemon restart, and the interfaces stay in their sandboxes. */
  async restoreNetwork(): Promise<void> {}
}

/** libnetwork's IPAMData: gateway and auxiliary addresses as CIDRs of their pool. */
function ipamData(pools: IpamData[]): { AddressSpace: string; Pool: string; Gateway?: string; AuxAddresses: { [k: string]: string } }[] {
  return pools.map((p) => {
    const { prefix } = splitCidr(p.subnet);
    const aux = Object.fromEntries(Object.entries(p.auxAddresses).map(([k, ip]) => [k, ip.includes('/') ? ip : `${ip}/${prefix}`]));
    return { AddressSpace: '', Pool: p.subnet, ...(p.gateway ? { Gateway: p.gateway } : {}), AuxAddresses: aux };
  });
}

function staticRoutes(res: JoinResponse): StaticRoute[] {
  return (res.StaticRoutes ?? []).map((r) => {
    if (!r.Destination) throw new InvalidArgument('a static route from the plugin has no Destination');
    if (r.RouteType === 0 && !r.NextHop) throw new InvalidArgument(`static route ${r.Destination} of type next-hop has no NextHop`);
    return { destination: r.Destination, ...(r.RouteType === 0 ? { nextHop: r.NextHop } : {}) };
  });
}
