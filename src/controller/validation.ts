/**
 * Request checks that run before anything is allocated or written, with dockerd's wording.
 */
import net from 'node:net';
import type { NetworkDriver } from '../contracts/driver.js';
import type { IpamDriver } from '../contracts/ipam.js';
import { OPT_BRIDGE_NAME, OPT_ENDPOINT_IFNAME } from '../contracts/network-options.js';
import { Conflict, Forbidden, InvalidArgument, NotFound } from '../util/errors.js';
import { cidrContains, splitCidr } from '../util/ip.js';
import type { ConnectRequest, EndpointRecord, IpamConfigRequest, NetworkCreateRequest, NetworkRecord, SandboxRecord } from './model.js';
import type { ControllerState } from './state.js';
import { validateStickyOption } from './sticky-ips.js';

/** A network create request that passed validation, with the drivers it names. */
export interface ValidNetworkRequest {
  driverName: string;
  driver: NetworkDriver;
  global: boolean;
  ipamName: string;
  ipam: IpamDriver;
  v4: IpamConfigRequest[];
  v6: IpamConfigRequest[];
  userSubnets: boolean;
  /** EnableIPv4: false — the network gets no IPv4 pool (an IPv6-only network). */
  noIpv4: boolean;
}

/** dockerd refuses these names whatever the driver, with a trailing blank in its message. */
const PREDEFINED_NAMES = new Set(['bridge', 'host', 'none']);

export function validateNetworkRequest(s: ControllerState, req: NetworkCreateRequest, predefined: boolean): ValidNetworkRequest {
  if (typeof req.name !== 'string' || !req.name) throw new InvalidArgument('network name must not be empty');
  // libnetwork's rule: any name that is not blank (spaces allowed); control characters are refused too.
  if (!req.name.trim() || [...req.name].some((ch) => ch < ' ' || ch === '\x7f')) throw new InvalidArgument(`invalid name: ${req.name}`);
  if (!predefined && PREDEFINED_NAMES.has(req.name)) throw new Forbidden(`operation is not permitted on predefined ${req.name} network `);
  const driverName = req.driver || 'bridge';
  const driver = s.drivers.get(driverName);
  if (!driver) throw new NotFound(`plugin "${driverName}" not found`);
  if (!driver.capability.userCreatable && !predefined) {
    throw new Forbidden(`only one instance of "${driverName}" network is allowed`);
  }
  const global = driver.capability.scope !== 'local';
  if (global && !s.o.cluster) {
    throw new Forbidden(`"${driverName}" networks span hosts and need a cluster store: `
      + 'start the daemon with --cluster-store etcd://HOST:PORT --advertise-addr IP');
  }
  const ipamName = req.ipam?.driver || 'default';
  const ipam = (global ? s.globalIpams : s.ipams).get(ipamName);
  if (!ipam) throw new NotFound(`plugin "${ipamName}" not found`);
  if (driver.capability.needsIpam && ipamName === 'null') {
    throw new InvalidArgument(`the ${driverName} driver needs addresses: it cannot be used with IPAM driver "null"`);
  }
  validateStickyOption(req.options);
  const configs = (req.ipam?.config ?? []).map(validateIpamConfig);
  const v4 = configs.filter((c) => !c.subnet || !c.subnet.includes(':'));
  const v6 = configs.filter((c) => c.subnet?.includes(':'));
  const noIpv4 = req.enableIPv4 === false;
  if (noIpv4 && v4.some((c) => c.subnet)) throw new InvalidArgument('IPv4 subnets cannot be given for a network with IPv4 disabled');
  assertNameFree(s, req.name);
  assertBridgeNameFree(s, driverName, req);
  return { driverName, driver, global, ipamName, ipam, v4: noIpv4 ? [] : v4, v6, userSubnets: configs.some((c) => !!c.subnet), noIpv4 };
}

export function assertNameFree(s: ControllerState, name: string): void {
  for (const n of s.networks.values()) {
    if (n.name === name) throw new Conflict(`network with name ${name} already exists`);
  }
}

/**
 * A Linux bridge carries one network: a bridge name another network already uses is refused
 * before anything touches the kernel (libnetwork's Conflicts check, "same configuration").
 */
function assertBridgeNameFree(s: ControllerState, driverName: string, req: NetworkCreateRequest): void {
  const name = req.options?.[OPT_BRIDGE_NAME];
  if (!name) return;
  for (const n of s.networks.values()) {
    if (n.driver === driverName && n.options[OPT_BRIDGE_NAME] === name) {
      throw new Forbidden(`cannot create network ${req.name} (${name}): conflicts with network ${n.id} (${name}): same configuration`);
    }
  }
}

/** The refusal of a network delete while endpoints remain (dockerd 28's wording, naming them). */
export function activeEndpointsError(n: NetworkRecord, eps: { name: string; id: string; vtep?: string }[]): Forbidden {
  const list = eps.map((e) => `name:${JSON.stringify(e.name)} id:${JSON.stringify(e.id.slice(0, 12))}`
    + (e.vtep === undefined ? '' : ` host:${JSON.stringify(e.vtep)}`)).join(', ');
  return new Forbidden(`error while removing network: network ${n.name} has active endpoints (${list})`);
}

export function validateConnect(sb: SandboxRecord, n: NetworkRecord, req: ConnectRequest, current: EndpointRecord[]): void {
  if (current.some((e) => e.networkId === n.id)) {
    throw new Forbidden(`endpoint with name ${req.name} already exists in network ${n.name}`);
  }
  if (!sb.nsPath && n.driver !== 'host') {
    throw new InvalidArgument('container sharing network namespace with the host cannot be connected to any other network');
  }
  validateRequestedAddresses(n, req);
  const ifName = req.driverOpts?.[OPT_ENDPOINT_IFNAME];
  // The kernel's rule for names (IFNAMSIZ, no '/', ':' or blanks); taken ones would clash inside the namespace.
  if (ifName !== undefined && (!/^[^\s/:]{1,15}$/.test(ifName) || ifName === '.' || ifName === '..')) {
    throw new InvalidArgument(`invalid interface name "${ifName}"`);
  }
  if (ifName !== undefined && current.some((e) => e.ifName === ifName)) {
    throw new Conflict(`interface name ${ifName} is already in use in the container's network namespace`);
  }
}

/**
 * The addresses a client asks for on a network, checked against it whatever the container's
 * state (a stopped container's request is kept and used at start): well-formed, on a network
 * with user subnets (and IPv6, or IPv6 configs kept unused, for an IPv6 address), inside one of its subnets.
 */
export function validateRequestedAddresses(n: NetworkRecord, req: { ipv4?: string; ipv6?: string }): void {
  if (req.ipv4 && !net.isIPv4(req.ipv4)) throw new InvalidArgument(`invalid IPv4 address: ${req.ipv4}`);
  if (req.ipv6 && !net.isIPv6(req.ipv6)) throw new InvalidArgument(`invalid IPv6 address: ${req.ipv6}`);
  if ((req.ipv4 || req.ipv6) && !n.userSubnets) {
    throw new InvalidArgument('user specified IP address is supported only when connecting to networks with user configured subnets');
  }
  const unused = (n.ipv6Unused ?? []).map((c) => ({ subnet: c.subnet ?? '' }));
  if (req.ipv6 && !n.enableIPv6 && !unused.length) throw new InvalidArgument(`network ${n.name} does not have IPv6 enabled`);
  for (const [wanted, pools] of [[req.ipv4, n.ipv4], [req.ipv6, n.enableIPv6 ? n.ipv6 : unused]] as const) {
    if (wanted && pools.length && !pools.some((p) => cidrContains(p.subnet, wanted))) {
      throw new InvalidArgument(`no configured subnet or ip-range contain the IP address ${wanted}`);
    }
  }
}

function checkAddress(what: string, v: string | undefined, cidr: boolean): void {
  if (v === undefined || v === '') return;
  if (typeof v !== 'string') throw new InvalidArgument(`invalid ${what}: must be a string`);
  const [ip, len, extra] = v.split('/');
  const validPrefix = len !== undefined && extra === undefined && /^\d+$/.test(len) && Number(len) <= (net.isIPv6(ip) ? 128 : 32);
  const ok = net.isIP(ip) && (cidr ? validPrefix : len === undefined);
  if (!ok) throw new InvalidArgument(`invalid ${what} ${v}: ${cidr ? 'not a CIDR' : 'not an IP address'}`);
}

export function validateIpamConfig(c: IpamConfigRequest): IpamConfigRequest {
  checkAddress('subnet', c.subnet, true);
  checkAddress('ip-range', c.ipRange, true);
  checkAddress('gateway', c.gateway, false);
  for (const [k, v] of Object.entries(c.auxAddresses ?? {})) checkAddress(`auxiliary address ${k}`, v, false);
  if (c.ipRange && !c.subnet) throw new InvalidArgument('ip-range requires a subnet');
  if (c.gateway && !c.subnet) throw new InvalidArgument('gateway requires a subnet');
  if (c.subnet && c.ipRange && !(cidrContains(c.subnet, c.ipRange) && splitCidr(c.ipRange).prefix >= splitCidr(c.subnet).prefix)) {
    throw new InvalidArgument(`ip-range ${c.ipRange} is not inside subnet ${c.subnet}`);
  }
  if (c.subnet && c.gateway && !cidrContains(c.subnet, c.gateway)) {
    throw new InvalidArgument(`gateway ${c.gateway} is not in subnet ${c.subnet}`);
  }
  for (const [k, v] of Object.entries(c.auxAddresses ?? {})) {
    if (c.subnet && !cidrContains(c.subnet, v)) throw new InvalidArgument(`auxiliary address ${k}=${v} is not in subnet ${c.subnet}`);
  }
  return c;
}
