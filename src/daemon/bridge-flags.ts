/**
 * dockerd's default-bridge and address-pool flags (--bip, --fixed-cidr, --ipv6, --fixed-cidr-v6, --mtu, --ip,
 * --default-address-pool), checked and turned into what the daemon needs: the default
 * bridge's IPAM config and options, and the pools auto-picked subnets come from. Errors
 * are thrown in dockerd's words where it has them; the command prints them and exits.
 */
import net from 'node:net';
import { bigIntToIp, subnetOf, type Subnet } from '../util/ip.js';
import { defaultBridgeIpv6 } from './fixed-cidr-v6.js';

export interface AddressPool { base: string; size: number }

/** What the flags ask of the default `bridge` network; absent fields: weft's defaults. */
export interface DefaultBridgeConfig {
  /** Subnet, gateway ("ip/prefix") and dynamic range of its IPv4 pool. */
  ipv4?: { subnet: string; gateway: string; ipRange?: string };
  /** Subnet and gateway of its IPv6 pool (--ipv6, --fixed-cidr-v6; none: from the address pools); absent: IPv6 off. */
  ipv6?: { subnet?: string; gateway?: string };
  mtu?: number;
  /** Default host address of its published ports (com.docker.network.bridge.host_binding_ipv4). */
  hostIp?: string;
}

export interface BridgeFlags {
  bip?: string;
  fixedCidr?: string;
  ipv6?: boolean;
  fixedCidrV6?: string;
  mtu?: string;
  ip?: string;
  defaultAddressPool: string[];
  podmanAddressPools?: boolean;
}

/** Podman's default_subnet_pools: /24s of 10.89.0.0/16, then of the rest of 10.0.0.0/8 above it. */
export const PODMAN_POOLS: AddressPool[] = [
  { base: '10.89.0.0/16', size: 24 }, { base: '10.90.0.0/15', size: 24 }, { base: '10.92.0.0/14', size: 24 },
  { base: '10.96.0.0/11', size: 24 }, { base: '10.128.0.0/9', size: 24 },
];

/** At most this many subnets are listed per pool (dockerd walks a pool lazily; a host never needs more). */
export const MAX_SUBNETS_PER_POOL = 65536;

/** One --default-address-pool value, "base=CIDR,size=N", as dockerd's PoolsOpt reads it. */
export function parseAddressPool(value: string): AddressPool {
  let base: string | undefined;
  let size: number | undefined;
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    if (eq < 0) throw new Error(`invalid field '${field}' must be a key=value pair`);
    const key = field.slice(0, eq).toLowerCase();
    const val = field.slice(eq + 1).toLowerCase();
    if (key === 'base') base = val;
    else if (key === 'size') {
      if (!/^[+-]?\d+$/.test(val)) throw new Error(`invalid size value: "${value}" (must be integer)`);
      size = Number(val);
    } else throw new Error(`unexpected key '${key}' in '${field}'`);
  }
  return { base: base ?? '', size: size ?? 0 };
}

/** The subnets of pools in order, per family; a bad base or size is refused as dockerd words it. */
export function expandPools(pools: AddressPool[]): { v4: string[]; v6: string[] } {
  const out = { v4: [] as string[], v6: [] as string[] };
  for (const p of pools) {
    const base = strictCidr(p.base);
    if (!base) throw new Error(`invalid base pool "${p.base}": invalid CIDR address: ${p.base}`);
    const width = base.v6 ? 128 : 32;
    if (!Number.isInteger(p.size) || p.size <= 0 || p.size < base.prefix || p.size > width) {
      throw new Error(`invalid pools size: ${p.size}`);
    }
    const step = 1n << BigInt(width - p.size);
    const count = 1n << BigInt(p.size - base.prefix);
    const n = count < BigInt(MAX_SUBNETS_PER_POOL) ? Number(count) : MAX_SUBNETS_PER_POOL;
    const list = base.v6 ? out.v6 : out.v4;
    for (let i = 0; i < n; i++) list.push(`${bigIntToIp(base.first + step * BigInt(i), base.v6)}/${p.size}`);
  }
  return out;
}

/** --bip, --fixed-cidr, --ipv6, --fixed-cidr-v6, --mtu and --ip, checked, as the default bridge's config. */
export function defaultBridgeConfig(f: BridgeFlags): DefaultBridgeConfig {
  const out: DefaultBridgeConfig = {};
  const bip = f.bip === undefined ? undefined : hostCidr(f.bip, '--bip');
  const fixed = f.fixedCidr === undefined ? undefined : cidrFlag(f.fixedCidr, '--fixed-cidr');
  if (fixed?.v6) throw new Error(`--fixed-cidr ${f.fixedCidr} is not an IPv4 subnet (IPv6 is --fixed-cidr-v6)`);
  if (bip) {
    if (fixed && !(fixed.first >= bip.subnet.first && fixed.last <= bip.subnet.last)) {
      throw new Error(`--fixed-cidr ${fixed.cidr} is not inside the subnet of --bip ${f.bip} (${bip.subnet.cidr})`);
    }
    out.ipv4 = { subnet: bip.subnet.cidr, gateway: f.bip!, ...(fixed ? { ipRange: fixed.cidr } : {}) };
  } else if (fixed) {
    // As dockerd without --bip: the range is the subnet too, its first address the gateway.
    if (fixed.prefix > 30) throw new Error(`--fixed-cidr ${fixed.cidr} is too small for a network without --bip`);
    out.ipv4 = { subnet: fixed.cidr, gateway: `${bigIntToIp(fixed.first + 1n, false)}/${fixed.prefix}`, ipRange: fixed.cidr };
  }
  const ipv6 = defaultBridgeIpv6(f);
  if (ipv6) out.ipv6 = ipv6;
  if (f.mtu !== undefined) {
    const mtu = Number(f.mtu);
    if (!/^\d+$/.test(f.mtu) || mtu < 68 || mtu > 65535) {
      throw new Error(`invalid argument "${f.mtu}" for "--mtu" flag: must be an integer between 68 and 65535`);
    }
    out.mtu = mtu;
  }
  if (f.ip !== undefined) {
    if (!net.isIP(f.ip)) throw new Error(`invalid argument "${f.ip}" for "--ip" flag: invalid IP address`);
    out.hostIp = f.ip;
  }
  return out;
}

/** The pools auto-picked subnets come from; undefined: weft's built-in ones. */
export function addressPools(f: BridgeFlags): { v4: string[]; v6: string[] } | undefined {
  if (f.podmanAddressPools && f.defaultAddressPool.length) {
    throw new Error('--podman-address-pools and --default-address-pool cannot be used together');
  }
  const pools = f.podmanAddressPools ? PODMAN_POOLS : f.defaultAddressPool.map(parseAddressPool);
  return pools.length ? expandPools(pools) : undefined;
}

function strictCidr(v: string): Subnet | undefined {
  const [ip, len, extra] = v.split('/');
  if (!net.isIP(ip ?? '') || len === undefined || extra !== undefined || !/^\d+$/.test(len)) return undefined;
  if (Number(len) > (net.isIPv6(ip) ? 128 : 32)) return undefined;
  return subnetOf(v);
}

function cidrFlag(v: string, flag: string): Subnet {
  const s = strictCidr(v);
  if (!s) throw new Error(`invalid argument "${v}" for "${flag}" flag: invalid CIDR address: ${v}`);
  return s;
}

/** A gateway address with its prefix: inside its subnet, neither the network nor the broadcast address. */
function hostCidr(v: string, flag: string): { subnet: Subnet } {
  const subnet = cidrFlag(v, flag);
  if (subnet.v6) throw new Error(`${flag} ${v} is not an IPv4 address (IPv6 is --fixed-cidr-v6)`);
  const ip = v.split('/')[0];
  const isEdge = subnet.prefix < 31 && (ip === bigIntToIp(subnet.first, false) || ip === bigIntToIp(subnet.last, false));
  const example = `${bigIntToIp(subnet.first + 1n, false)}/${subnet.prefix}`;
  if (isEdge) throw new Error(`${flag} ${v}: the bridge's address must be a host address of ${subnet.cidr}, e.g. ${example}`);
  return { subnet };
}
