/** /networks: Docker's NetworkResource JSON, filters, create/connect bodies. */
import type { IpamData } from '../../drivers/contract.js';
import type { ContainerService } from '../controller/containers.js';
import type { Controller } from '../controller/controller.js';
import type { NetworkCreateRequest, NetworkRecord } from '../controller/model.js';
import { InvalidArgument } from '../errors.js';
import { splitCidr } from '../kernel/addr.js';
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
  return {
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

/** `until`: a timestamp (RFC 3339 or unix seconds) or a Go-style duration like 24h / 10m. */
function parseUntil(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v);
  if (d) {
    const unit = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 }[d[2] as 'h'];
    return Date.now() - Number(d[1]) * unit;
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgument(`invalid until filter: ${v}`);
  return t;
}
