/** /networks: Docker's NetworkResource JSON, filters, create/connect bodies. */
import net from 'node:net';
import type { IpamData } from '../contracts/driver.js';
import type { ContainerService } from '../engine/containers.js';
import type { Controller } from '../controller/controller.js';
import type { NetworkCreateRequest, NetworkRecord } from '../controller/model.js';
import { InvalidArgument, NotFound } from '../util/errors.js';
import { bufferToIp, ipToBuffer, splitCidr } from '../util/ip.js';
import { field, parseFilters, qbool, readJson, sendEmpty, sendJson } from './http.js';
import type { Router } from './router.js';

const PREDEFINED = new Set(['bridge', 'host', 'none']);

export function networkJson(ctl: Controller, n: NetworkRecord, withContainers: boolean): unknown {
  const containers: { [id: string]: unknown } = {};
  if (withContainers) {
    for (const ep of ctl.endpointsOf(n.id)) {
      containers[ep.sandboxId] = {
        Name: ep.name,
        EndpointID: ep.id,
        MacAddress: ep.mac,
        IPv4Address: ep.ipv4 ?? '',
        IPv6Address: ep.ipv6 ?? '',
      };
    }
  }
  const cfg = (p: IpamData) => ({
    Subnet: p.subnet,
    ...(p.ipRange ? { IPRange: p.ipRange } : {}),
    ...(p.gateway ? { Gateway: splitCidr(p.gateway).ip } : {}),
    ...(Object.keys(p.auxAddresses).length ? { AuxiliaryAddresses: p.auxAddresses } : {}),
  });
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: n.scope,
    Driver: n.driver,
    EnableIPv4: n.ipv4.length > 0 || n.driver !== 'bridge',
    EnableIPv6: n.enableIPv6,
    IPAM: { Driver: n.ipamDriver, Options: n.ipamOptions, Config: [...n.ipv4, ...n.ipv6].map(cfg) },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: n.options,
    Labels: n.labels,
  };
}

function matches(pattern: string, value: string): boolean {
  if (value.includes(pattern)) return true;
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return false;
  }
}

function labelMatch(labels: { [k: string]: string }, want: string): boolean {
  const i = want.indexOf('=');
  return i < 0 ? want in labels : labels[want.slice(0, i)] === want.slice(i + 1);
}

function isDangling(ctl: Controller, n: NetworkRecord): boolean {
  return !PREDEFINED.has(n.name) && ctl.endpointsOf(n.id).length === 0;
}

/** A parsed prefix (Go's netip.Prefix): family, address bytes, prefix length. */
interface Prefix { family: 4 | 6; addr: Buffer; bits: number }

function parseAddr(s: string): { family: 4 | 6; addr: Buffer } | undefined {
  if (s.includes('%')) return undefined;
  const f = net.isIP(s);
  return f === 4 || f === 6 ? { family: f, addr: ipToBuffer(s) } : undefined;
}

function parsePrefix(s: string): Prefix | undefined {
  const m = /^([^/]+)\/(0|[1-9]\d{0,2})$/.exec(s);
  if (!m) return undefined;
  const a = parseAddr(m[1]);
  const bits = Number(m[2]);
  if (!a || bits > a.addr.length * 8) return undefined;
  return { ...a, bits };
}

function masked(p: Prefix): Prefix {
  const addr = Buffer.from(p.addr);
  for (let bit = p.bits; bit < addr.length * 8; bit++) addr[bit >> 3] &= ~(0x80 >> (bit % 8));
  return { ...p, addr };
}

const fmtPrefix = (p: Prefix) => `${bufferToIp(p.addr)}/${p.bits}`;
const samePrefix = (a: Prefix, b: Prefix) => a.bits === b.bits && a.addr.equals(b.addr);
const contains = (p: Prefix, addr: Buffer) => addr.length === p.addr.length && masked({ ...p, addr }).addr.equals(masked(p).addr);
const familyName = (f: 4 | 6) => (f === 4 ? 'IPv4' : 'IPv6');

/**
 * dockerd's ValidateIPAM (api/types/network/ipam.go), with its wording: every problem of
 * every IPAM config, one 400 with all of them. IPv6 configs are skipped when IPv6 is off,
 * as dockerd does (the controller then refuses them with its own message).
 */
export function validateIpam(config: { subnet?: string; ipRange?: string; gateway?: string; auxAddresses?: { [k: string]: string } }[], enableIPv6: boolean): void {
  const errs: string[] = [];
  const addrErr = (address: string | undefined, subnet: Prefix): string | undefined => {
    if (!address) return undefined;
    const a = parseAddr(address);
    if (!a) return 'invalid address';
    if (a.family !== subnet.family) return `parent subnet is an ${familyName(subnet.family)} block`;
    if (!contains(subnet, a.addr)) return `parent subnet ${fmtPrefix(subnet)} doesn't contain this address`;
    return undefined;
  };
  for (const cfg of config) {
    if (cfg.subnet === undefined || cfg.subnet === '') continue; // a pool the IPAM driver picks
    const subnet = parsePrefix(cfg.subnet);
    if (!subnet) {
      errs.push(`invalid subnet ${cfg.subnet}: invalid CIDR block notation`);
      continue;
    }
    if (!enableIPv6 && subnet.family === 6) continue;
    if (!samePrefix(subnet, masked(subnet))) errs.push(`invalid subnet ${fmtPrefix(subnet)}: it should be ${fmtPrefix(masked(subnet))}`);
    if (cfg.ipRange) {
      const r = parsePrefix(cfg.ipRange);
      if (!r) errs.push(`invalid ip-range ${cfg.ipRange}: invalid CIDR block notation`);
      else if (r.family !== subnet.family) errs.push(`invalid ip-range ${cfg.ipRange}: parent subnet is an ${familyName(subnet.family)} block`);
      else {
        if (r.bits < subnet.bits) errs.push(`invalid ip-range ${cfg.ipRange}: CIDR block is bigger than its parent subnet ${fmtPrefix(subnet)}`);
        if (!samePrefix(r, masked(r))) errs.push(`invalid ip-range ${fmtPrefix(r)}: it should be ${fmtPrefix(masked(r))}`);
        if (!contains(subnet, r.addr) && !contains(r, subnet.addr)) errs.push(`invalid ip-range ${cfg.ipRange}: parent subnet ${fmtPrefix(subnet)} doesn't contain ip-range`);
      }
    }
    const g = addrErr(cfg.gateway, subnet);
    if (g) errs.push(`invalid gateway ${cfg.gateway}: ${g}`);
    for (const [name, aux] of Object.entries(cfg.auxAddresses ?? {})) {
      const e = addrErr(aux, subnet);
      if (e) errs.push(`invalid auxiliary address ${name}: ${e}`);
    }
  }
  if (errs.length === 1) throw new InvalidArgument(`invalid network config:\n${errs[0]}`);
  if (errs.length > 1) throw new InvalidArgument(`invalid network config:\n* ${errs.map((e) => e.replace(/\n/g, '\n\t')).join('\n* ')}`);
}

export function decodeNetworkCreate(body: { [k: string]: unknown }): NetworkCreateRequest {
  const name = field.str(body, 'Name');
  if (!name) throw new InvalidArgument('network name must not be empty');
  const ipam = field.obj(body, 'IPAM');
  const config = ipam ? field.arr(ipam, 'Config', 'IPAM.') ?? [] : [];
  if (field.bool(body, 'EnableIPv4') === false) throw new InvalidArgument('IPv4-disabled networks are not supported by weft');
  const scope = field.str(body, 'Scope');
  if (scope && scope !== 'local' && scope !== 'global') throw new InvalidArgument(`invalid scope "${scope}"`);
  if (field.bool(body, 'Ingress')) throw new InvalidArgument('ingress networks are not supported by weft');
  if (field.bool(body, 'ConfigOnly')) throw new InvalidArgument('config-only networks are not supported by weft');
  const req: NetworkCreateRequest = {
    name,
    driver: field.str(body, 'Driver') || 'bridge',
    internal: field.bool(body, 'Internal'),
    attachable: field.bool(body, 'Attachable'),
    enableIPv6: field.bool(body, 'EnableIPv6'),
    options: field.strMap(body, 'Options'),
    labels: field.strMap(body, 'Labels'),
    ipam: {
      driver: ipam ? field.str(ipam, 'Driver', 'IPAM.') : undefined,
      options: ipam ? field.strMap(ipam, 'Options', 'IPAM.') : undefined,
      config: config.map((c, i) => {
        if (!c || typeof c !== 'object' || Array.isArray(c)) throw new InvalidArgument(`invalid IPAM.Config[${i}]: must be an object`);
        const o = c as { [k: string]: unknown };
        const where = `IPAM.Config[${i}].`;
        return {
          subnet: field.str(o, 'Subnet', where),
          ipRange: field.str(o, 'IPRange', where),
          gateway: field.str(o, 'Gateway', where),
          auxAddresses: field.strMap(o, 'AuxiliaryAddresses', where),
        };
      }),
    },
  };
  validateIpam(req.ipam?.config ?? [], !!req.enableIPv6);
  return req;
}

export function registerNetworkRoutes(r: Router, ctl: Controller, containers: ContainerService): void {
  r.on('GET', '/networks', ({ res, query }) => {
    const f = parseFilters(query.get('filters'), ['driver', 'id', 'name', 'label', 'scope', 'type', 'dangling']);
    const dangling = f.get('dangling');
    if (dangling?.some((d) => !/^(true|false|1|0)$/.test(d))) throw new InvalidArgument(`invalid filter 'dangling=${dangling.join(',')}'`);
    const list = ctl.listNetworks().filter((n) =>
      (!f.get('driver') || f.get('driver')!.includes(n.driver)) &&
      (!f.get('scope') || f.get('scope')!.includes(n.scope)) &&
      (!f.get('name') || f.get('name')!.some((p) => matches(p, n.name))) &&
      (!f.get('id') || f.get('id')!.some((p) => matches(p, n.id))) &&
      (!f.get('label') || f.get('label')!.every((l) => labelMatch(n.labels, l))) &&
      (!f.get('type') || f.get('type')!.some((t) => (t === 'builtin') === PREDEFINED.has(n.name))) &&
      (!dangling || dangling.some((d) => (d === 'true' || d === '1') === isDangling(ctl, n))));
    sendJson(res, 200, list.map((n) => networkJson(ctl, n, false)));
  });

  r.on('GET', '/networks/:id', ({ res, params }) => {
    sendJson(res, 200, networkJson(ctl, ctl.findNetwork(params.id), true));
  });

  r.on('POST', '/networks/create', async ({ req, res }) => {
    const n = await ctl.createNetwork(decodeNetworkCreate(await readJson(req)));
    sendJson(res, 201, { Id: n.id, Warning: '' });
  });

  r.on('DELETE', '/networks/:id', async ({ res, params }) => {
    await ctl.deleteNetwork(params.id);
    sendEmpty(res, 204);
  });

  r.on('POST', '/networks/:id/connect', async ({ req, res, params }) => {
    const body = await readJson(req);
    const ctr = field.str(body, 'Container');
    if (!ctr) throw new InvalidArgument('container is required');
    const ec = field.obj(body, 'EndpointConfig') ?? {};
    const ipam = field.obj(ec, 'IPAMConfig', 'EndpointConfig.') ?? {};
    checkConnect(ctl, containers, ctr, params.id);
    await containers.connect(ctr, params.id, {
      ipv4: field.str(ipam, 'IPv4Address', 'IPAMConfig.') || undefined,
      ipv6: field.str(ipam, 'IPv6Address', 'IPAMConfig.') || undefined,
      aliases: field.strArray(ec, 'Aliases', 'EndpointConfig.') ?? [],
    });
    sendEmpty(res, 200);
  });

  r.on('POST', '/networks/:id/disconnect', async ({ req, res, params }) => {
    const body = await readJson(req);
    const ctr = field.str(body, 'Container');
    if (!ctr) throw new InvalidArgument('container is required');
    const c = containers.find(ctr);
    if (c.networkMode === 'host' && ctl.findNetwork(params.id).driver === 'host') throw new InvalidArgument(CONFLICT_HOST);
    await containers.disconnect(ctr, params.id, !!field.bool(body, 'Force'));
    sendEmpty(res, 200);
  });

  r.on('POST', '/networks/prune', async ({ res, query }) => {
    const f = parseFilters(query.get('filters'), ['until', 'label', 'label!']);
    if ((f.get('until')?.length ?? 0) > 1) throw new InvalidArgument('more than one until filter specified');
    const until = f.get('until')?.[0];
    const cutoff = until ? parseUntil(until) : undefined;
    const deleted: string[] = [];
    for (const n of ctl.listNetworks()) {
      if (n.predefined || ctl.endpointsOf(n.id).length) continue;
      if (containers.list().some((c) => c.networks.some((x) => x.name === n.name || x.name === n.id))) continue;
      if (cutoff !== undefined && Date.parse(n.created) > cutoff) continue;
      if (f.get('label') && !f.get('label')!.every((l) => labelMatch(n.labels, l))) continue;
      if (f.get('label!') && f.get('label!')!.some((l) => labelMatch(n.labels, l))) continue;
      await ctl.deleteNetwork(n.id);
      deleted.push(n.name);
    }
    sendJson(res, 200, { NetworksDeleted: deleted });
  });
  void qbool;
}

// runconfig's errors, as dockerd words them (400).
const CONFLICT_HOST = 'container cannot be disconnected from host network or connected to host network';
const CONFLICT_SHARED = 'container sharing network namespace with another container or host cannot be connected to any other network';
const CONFLICT_NONE = 'container cannot be connected to multiple networks with one of the networks in private (none) mode';

/**
 * dockerd's rules for joining one more network (daemon updateNetworkConfig): a container
 * in the host's namespace, or one joining `host`, shares a namespace and cannot have other
 * networks; `none` cannot be combined with anything. Checked before anything changes.
 */
function checkConnect(ctl: Controller, containers: ContainerService, ref: string, netRef: string): void {
  const c = containers.find(ref);
  const target = ctl.findNetwork(netRef);
  const current: NetworkRecord[] = [];
  for (const x of c.networks) {
    try { current.push(ctl.findNetwork(x.name)); } catch (err) { if (!(err instanceof NotFound)) throw err; }
  }
  if (c.networkMode === 'host' || c.networkMode === 'none') current.push(ctl.findNetwork(c.networkMode));
  if (current.some((n) => n.id === target.id)) return; // the controller words "already attached"
  if (!current.length) return;
  if (target.driver === 'host' || current.some((n) => n.driver === 'host')) throw new InvalidArgument(CONFLICT_SHARED);
  if (target.driver === 'null' || current.some((n) => n.driver === 'null')) throw new InvalidArgument(CONFLICT_NONE);
}

/** `until`: a timestamp (RFC 3339 or unix seconds) or a Go-style duration like 24h / 10m. */
export function parseUntil(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) {
    const unit: { [u: string]: number } = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
    let ms = 0;
    for (const d of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(d[1]) * unit[d[2]];
    return Date.now() - ms;
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgument(`failed to parse value as time or duration: "${v}"`);
  return t;
}
