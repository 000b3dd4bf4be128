/**
 * The network configuration weft-cni and weft-ipam read from stdin, with the reference
 * bridge, host-local and portmap plugins' keys, so an existing conflist works by changing
 * `type`. Parsed and checked once, before anything is touched.
 */
import net from 'node:net';
import { canonicalCidr, cidrContains, ipToBigInt, splitCidr } from '../util/ip.js';
import { CniError, CODE } from './errors.js';
import { checkVersion, type CniVersion } from './versions.js';

/** A host-local range: dynamic addresses come from [rangeStart, rangeEnd] when given. */
export interface IpamRange { subnet: string; gateway?: string; rangeStart?: string; rangeEnd?: string }
export interface Route { dst: string; gw?: string }
export interface Dns { nameservers?: string[]; domain?: string; search?: string[]; options?: string[] }
export interface PortMap { hostPort: number; containerPort: number; protocol: 'tcp' | 'udp' | 'sctp'; hostIP: string }

export interface IpamConf {
  type: string;
  /** Range sets: one address is taken from each set, from its first range with room. */
  ranges: IpamRange[][];
  routes: Route[];
  dataDir?: string;
}

export interface NetConf {
  cniVersion: CniVersion;
  name: string;
  type: string;
  bridge: string;
  isGateway: boolean;
  isDefaultGateway: boolean;
  ipMasq: boolean;
  mtu?: number;
  hairpinMode: boolean;
  promiscMode: boolean;
  dataDir?: string;
  ipam?: IpamConf;
  dns?: Dns;
  portMappings: PortMap[];
  /** Addresses the runtime asks for (runtimeConfig.ips, args.cni.ips, CNI_ARGS IP=). */
  ips: string[];
  mac?: string;
  prevResult?: unknown;
  /** The document as given, for delegating to an IPAM plugin. */
  raw: Record<string, unknown>;
}

type Obj = Record<string, unknown>;

function invalid(msg: string): never {
  throw new CniError(CODE.invalidConfig, msg);
}

function obj(v: unknown, what: string): Obj {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) invalid(`${what} must be an object`);
  return v as Obj;
}

function str(o: Obj, key: string, what: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') invalid(`${what}.${key} must be a string`);
  return v;
}

function bool(o: Obj, key: string, dflt: boolean): boolean {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') invalid(`${key} must be a boolean`);
  return v;
}

function cidr(v: string, what: string): string {
  try {
    return canonicalCidr(v);
  } catch {
    return invalid(`${what}: invalid CIDR "${v}"`);
  }
}

function ip(v: string, what: string): string {
  if (!net.isIP(v)) invalid(`${what}: invalid IP address "${v}"`);
  return v;
}

/** Decode stdin: anything but a JSON object is a decoding failure (code 6). */
export function decodeConfig(stdin: string): Obj {
  let doc: unknown;
  try {
    doc = JSON.parse(stdin);
  } catch (err) {
    throw new CniError(CODE.decode, 'failed to decode the network configuration', (err as Error).message);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new CniError(CODE.decode, 'network configuration must be a JSON object');
  return doc as Obj;
}

function parseRange(v: unknown, what: string): IpamRange {
  const o = obj(v, what);
  const subnetText = str(o, 'subnet', what) ?? invalid(`${what}.subnet is required`);
  const subnet = cidr(subnetText, `${what}.subnet`);
  const inSubnet = (key: 'gateway' | 'rangeStart' | 'rangeEnd') => {
    const v = str(o, key, what);
    if (v && !cidrContains(subnet, ip(v, `${what}.${key}`))) invalid(`${what}.${key} ${v} is not in network ${subnet}`);
    return v ? { [key]: v } : {};
  };
  const range: IpamRange = { subnet, ...inSubnet('gateway'), ...inSubnet('rangeStart'), ...inSubnet('rangeEnd') };
  if (range.rangeStart && range.rangeEnd && ipToBigInt(range.rangeStart) > ipToBigInt(range.rangeEnd)) {
    invalid(`${what}: rangeStart ${range.rangeStart} is after rangeEnd ${range.rangeEnd}`);
  }
  return range;
}

function parseRanges(o: Obj, runtimeRanges: unknown): IpamRange[][] {
  const given = runtimeRanges ?? o.ranges;
  if (given !== undefined) {
    if (!Array.isArray(given) || given.some((s) => !Array.isArray(s) || !s.length)) {
      invalid('ipam.ranges must be a list of non-empty lists');
    }
    return (given as unknown[][]).map((set, i) => set.map((r, j) => parseRange(r, `ipam.ranges[${i}][${j}]`)));
  }
  if (o.subnet !== undefined) return [[parseRange(o, 'ipam')]];
  return [];
}

function parseRoutes(v: unknown): Route[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) invalid('ipam.routes must be a list');
  return v.map((r, i) => {
    const o = obj(r, `ipam.routes[${i}]`);
    const dst = cidr(str(o, 'dst', 'route') ?? invalid(`ipam.routes[${i}].dst is required`), `ipam.routes[${i}].dst`);
    const gw = str(o, 'gw', 'route');
    return { dst, ...(gw ? { gw: ip(gw, `ipam.routes[${i}].gw`) } : {}) };
  });
}

export function parseIpam(v: unknown, runtime: Obj): IpamConf | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, 'ipam');
  const type = str(o, 'type', 'ipam') ?? invalid('ipam.type is required');
  const dataDir = str(o, 'dataDir', 'ipam');
  return { type, ranges: parseRanges(o, runtime.ipRanges), routes: parseRoutes(o.routes), ...(dataDir ? { dataDir } : {}) };
}

function parsePorts(v: unknown): PortMap[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) invalid('runtimeConfig.portMappings must be a list');
  return v.map((p, i) => {
    const o = obj(p, `portMappings[${i}]`);
    const port = (k: string) => {
      const n = o[k];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) invalid(`portMappings[${i}].${k} must be a port number`);
      return n;
    };
    const protocol = (str(o, 'protocol', 'portMappings') ?? 'tcp').toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') {
      invalid(`portMappings[${i}].protocol "${protocol}" is not tcp, udp or sctp`);
    }
    const hostIP = str(o, 'hostIP', 'portMappings') ?? '';
    if (hostIP) ip(hostIP, `portMappings[${i}].hostIP`);
    return { hostPort: port('hostPort'), containerPort: port('containerPort'), protocol, hostIP };
  });
}

/** Requested addresses: runtimeConfig.ips, args.cni.ips, then CNI_ARGS' IP=a,b. */
function requestedIps(runtime: Obj, args: Obj, cniArgs: string): string[] {
  const fromArgs = obj(args.cni, 'args.cni').ips;
  const list = runtime.ips ?? fromArgs ?? cniArgs.split(';').find((kv) => kv.startsWith('IP='))?.slice(3).split(',');
  if (list === undefined) return [];
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) invalid('ips must be a list of addresses');
  return (list as string[]).map((x) => ip(x.includes('/') ? splitCidr(x).ip : x, 'ips'));
}

function parseMac(runtime: Obj, cniArgs: string): string | undefined {
  const mac = (runtime.mac as string | undefined) ?? cniArgs.split(';').find((kv) => kv.startsWith('MAC='))?.slice(4);
  if (mac === undefined) return undefined;
  if (typeof mac !== 'string' || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) invalid(`invalid MAC address "${String(mac)}"`);
  return mac.toLowerCase();
}

function parseDns(v: unknown): Dns | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, 'dns');
  const list = (k: string) => (Array.isArray(o[k]) ? { [k]: (o[k] as unknown[]).map(String) } : {});
  const domain = str(o, 'domain', 'dns');
  return { ...list('nameservers'), ...(domain ? { domain } : {}), ...list('search'), ...list('options') };
}

/** runtimeConfig.dns uses the runtime's words (servers, searches). */
function runtimeDns(v: unknown): Dns | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, 'runtimeConfig.dns');
  return parseDns({ nameservers: o.servers, search: o.searches, options: o.options, domain: o.domain });
}

export function parseNetConf(doc: Obj, cniArgs = ''): NetConf {
  const cniVersion = checkVersion(doc.cniVersion);
  const name = str(doc, 'name', 'config') ?? invalid('name is required');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) invalid(`invalid network name "${name}"`);
  const type = str(doc, 'type', 'config') ?? invalid('type is required');
  const runtime = obj(doc.runtimeConfig, 'runtimeConfig');
  const mtu = doc.mtu;
  if (mtu !== undefined && (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 68 || mtu > 65535)) {
    invalid('mtu must be an integer between 68 and 65535');
  }
  const isDefaultGateway = bool(doc, 'isDefaultGateway', false);
  const ipam = parseIpam(doc.ipam, runtime);
  const dns = runtimeDns(runtime.dns) ?? parseDns(doc.dns);
  const mac = parseMac(runtime, cniArgs);
  const dataDir = str(doc, 'dataDir', 'config');
  return {
    cniVersion, name, type,
    bridge: str(doc, 'bridge', 'config') ?? 'cni0',
    isGateway: bool(doc, 'isGateway', false) || isDefaultGateway,
    isDefaultGateway,
    ipMasq: bool(doc, 'ipMasq', false),
    ...(typeof mtu === 'number' ? { mtu } : {}),
    hairpinMode: bool(doc, 'hairpinMode', false),
    promiscMode: bool(doc, 'promiscMode', false),
    ...(dataDir ? { dataDir } : {}),
    ...(ipam ? { ipam } : {}),
    ...(dns ? { dns } : {}),
    portMappings: parsePorts(runtime.portMappings),
    ips: requestedIps(runtime, obj(doc.args, 'args'), cniArgs),
    ...(mac ? { mac } : {}),
    ...(doc.prevResult !== undefined ? { prevResult: doc.prevResult } : {}),
    raw: doc,
  };
}
