/** The network side of a container's JSON: published ports and per-network settings. */
import type { Controller } from '../../controller/controller.js';
import type { NetworkRecord } from '../../controller/model.js';
import type { ContainerRecord, EndpointConfig } from '../../engine/containers.js';
import type { PortBinding } from '../../contracts/firewall.js';
import { splitCidr } from '../../util/ip.js';
import type { EndpointIpamConfigWire, EndpointSettingsWire, PortBindingWire, PortMapWire } from '../types.js';

/** "80" → "80/tcp", as exposed ports are keyed on the wire. */
export const portKey = (p: string) => (p.includes('/') ? p : `${p}/tcp`);

/** NetworkSettings.Ports: exposed ports (null) and the host ports actually bound, one per port. */
export function portsJson(ctl: Controller, c: ContainerRecord): PortMapWire {
  const eps = ctl.sandboxEndpoints(c.id);
  const out: PortMapWire = {};
  for (const e of c.exposedPorts) out[portKey(e)] = null;
  for (const b of eps.flatMap((e) => e.portBindings)) {
    const n = (b.containerPortEnd ?? b.containerPort) - b.containerPort;
    for (let i = 0; i <= n; i++) {
      const key = `${b.containerPort + i}/${b.proto}`;
      // [::] is served on an IPv4-only network too (the proxy relays it), except SCTP (DNAT only).
      const hostIps = b.hostIp ? [b.hostIp] : ['0.0.0.0', ...(b.proto !== 'sctp' || eps.some((e) => e.ipv6) ? ['::'] : [])];
      out[key] = [...(out[key] ?? []), ...hostIps.map((ip) => ({ HostIp: ip, HostPort: String(b.hostPort + i) }))];
    }
  }
  return out;
}

/** HostConfig.PortBindings: what was asked for, ranges kept as ranges. */
export function requestedBindingsJson(bs: PortBinding[]): { [key: string]: PortBindingWire[] } {
  const out: { [key: string]: PortBindingWire[] } = {};
  for (const b of bs) {
    const key = `${b.containerPort}${b.containerPortEnd ? `-${b.containerPortEnd}` : ''}/${b.proto}`;
    const hostPort = b.hostPort ? `${b.hostPort}${b.hostPortEnd ? `-${b.hostPortEnd}` : ''}` : '';
    (out[key] ??= []).push({ HostIp: b.hostIp, HostPort: hostPort });
  }
  return out;
}

const ipOf = (cidr: string | undefined) => (cidr ? splitCidr(cidr).ip : '');
const prefixOf = (cidr: string | undefined) => (cidr ? splitCidr(cidr).prefix : 0);

/** The address fields shared by inspect's top level and each network's settings. */
export function addressJson(ep: { gateway4?: string; ipv4?: string; gateway6?: string; ipv6?: string } | undefined) {
  return {
    Gateway: ep?.gateway4 ?? '',
    IPAddress: ipOf(ep?.ipv4),
    IPPrefixLen: prefixOf(ep?.ipv4),
    IPv6Gateway: ep?.gateway6 ?? '',
    GlobalIPv6Address: ipOf(ep?.ipv6),
    GlobalIPv6PrefixLen: prefixOf(ep?.ipv6),
  };
}

/** EndpointSettings.IPAMConfig as requested: null when nothing was. */
function endpointIpamJson({ ipv4, ipv6, linkLocalIps }: EndpointConfig): EndpointIpamConfigWire | null {
  if (!ipv4 && !ipv6 && !linkLocalIps?.length) return null;
  return { IPv4Address: ipv4 ?? '', IPv6Address: ipv6 ?? '', ...(linkLocalIps?.length ? { LinkLocalIPs: linkLocalIps } : {}) };
}

/** A host/none mode container's one network: no endpoint of its own. */
function sharedNamespaceJson(networkId: string): EndpointSettingsWire {
  return {
    IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', NetworkID: networkId, EndpointID: '',
    Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
}

/** NetworkSettings.Networks: every network the container asked for that still exists. */
export function networksJson(ctl: Controller, c: ContainerRecord): { [name: string]: EndpointSettingsWire } {
  const out: { [name: string]: EndpointSettingsWire } = {};
  const eps = ctl.sandboxEndpoints(c.id);
  for (const want of c.networks) {
    let net: NetworkRecord;
    try { net = ctl.findNetwork(want.name); } catch { continue; }
    const ep = eps.find((e) => e.networkId === net.id);
    const { aliases, links, driverOpts } = want.config;
    const a = addressJson(ep);
    out[net.name] = {
      IPAMConfig: endpointIpamJson(want.config),
      Links: links?.length ? links : null,
      Aliases: aliases ?? [],
      MacAddress: ep?.mac ?? want.config.macAddress ?? '',
      DriverOpts: driverOpts ?? null,
      GwPriority: want.config.gwPriority ?? 0,
      NetworkID: net.id,
      EndpointID: ep?.id ?? '',
      Gateway: a.Gateway,
      IPAddress: a.IPAddress,
      IPPrefixLen: a.IPPrefixLen,
      IPv6Gateway: a.IPv6Gateway,
      GlobalIPv6Address: a.GlobalIPv6Address,
      GlobalIPv6PrefixLen: a.GlobalIPv6PrefixLen,
      DNSNames: ep ? [c.name, c.id.slice(0, 12), ...(aliases ?? [])] : null,
    };
  }
  if (c.networkMode === 'host' || c.networkMode === 'none') {
    const net = ctl.findNetwork(c.networkMode);
    out[net.name] = sharedNamespaceJson(net.id);
  }
  return out;
}
