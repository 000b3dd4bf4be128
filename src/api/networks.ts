/** /networks: list (with Docker's filters), inspect, create, delete, connect, disconnect, prune. */
import type { Controller } from '../controller/controller.js';
import type { NetworkRecord } from '../controller/model.js';
import { validateRequestedAddresses } from '../controller/validation.js';
import { type Filters, labelMatch } from '../engine/container-filters.js';
import type { ContainerService, EndpointConfig } from '../engine/containers.js';
import { pruneNetworks, PRUNE_FILTERS } from '../engine/prune.js';
import { InvalidArgument, NotFound } from '../util/errors.js';
import type { ApiDeps } from './deps.js';
import { parseFilters, readJson, sendEmpty, sendJson } from './http.js';
import type { Ctx, Route } from './router.js';
import { decodeConnect, decodeDisconnect } from './schemas/network-connect.js';
import { checkEndpointAddresses } from './schemas/endpoint-settings.js';
import { decodeNetworkCreate } from './schemas/network-create.js';
import type { NetworkCreateResponse, NetworkPruneResponse } from './types.js';
import { networkJson } from './views/network.js';
import { atLeast } from './api-version.js';

const PREDEFINED = new Set(['bridge', 'host', 'none']);
const LIST_FILTERS = ['driver', 'id', 'name', 'label', 'scope', 'type', 'dangling'];

/** A name or id filter: a substring or a regular expression. */
function matches(pattern: string, value: string): boolean {
  if (value.includes(pattern)) return true;
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return false;
  }
}

function isDangling(ctl: Controller, n: NetworkRecord): boolean {
  return !PREDEFINED.has(n.name) && ctl.endpointsOf(n.id).length === 0;
}

function selectNetworks(ctl: Controller, f: Filters): NetworkRecord[] {
  const dangling = f.get('dangling');
  if (dangling?.some((d) => !/^(true|false|1|0)$/.test(d))) throw new InvalidArgument(`invalid filter 'dangling=${dangling.join(',')}'`);
  return ctl.listNetworks().filter((n) =>
    (!f.get('driver') || f.get('driver')!.includes(n.driver)) &&
    (!f.get('scope') || f.get('scope')!.includes(n.scope)) &&
    (!f.get('name') || f.get('name')!.some((p) => matches(p, n.name))) &&
    (!f.get('id') || f.get('id')!.some((p) => matches(p, n.id))) &&
    (!f.get('label') || f.get('label')!.every((l) => labelMatch(n.labels, l))) &&
    (!f.get('type') || f.get('type')!.some((t) => (t === 'builtin') === PREDEFINED.has(n.name))) &&
    (!dangling || dangling.some((d) => (d === 'true' || d === '1') === isDangling(ctl, n))));
}

// runconfig's errors, as dockerd words them (400).
const CONFLICT_HOST = 'container cannot be disconnected from host network or connected to host network';
const CONFLICT_SHARED = 'container sharing network namespace with another container or host cannot be connected to any other network';
const CONFLICT_NONE = 'container cannot be connected to multiple networks with one of the networks in private (none) mode';

/**
 * dockerd's rules for joining one more network (daemon updateNetworkConfig): a container
 * in the host's namespace, or one joining `host`, shares a namespace and cannot have other
 * networks; `none` cannot be combined with anything; requested addresses must fit the
 * network. Checked before anything changes, whatever the container's state.
 */
function checkConnect(ctl: Controller, containers: ContainerService, ref: string, netRef: string, config: EndpointConfig): void {
  const c = containers.find(ref);
  const target = ctl.findNetwork(netRef);
  const current: NetworkRecord[] = [];
  for (const x of c.networks) {
    try { current.push(ctl.findNetwork(x.name)); } catch (err) { if (!(err instanceof NotFound)) throw err; }
  }
  if (c.networkMode === 'host' || c.networkMode === 'none') current.push(ctl.findNetwork(c.networkMode));
  if (target.driver === 'host' && c.networkMode !== 'host') throw new InvalidArgument(CONFLICT_HOST);
  if (current.some((n) => n.id === target.id)) return; // the controller words "already attached"
  if (current.length) {
    if (target.driver === 'host' || current.some((n) => n.driver === 'host')) throw new InvalidArgument(CONFLICT_SHARED);
    if (target.driver === 'null' || current.some((n) => n.driver === 'null')) throw new InvalidArgument(CONFLICT_NONE);
  }
  checkEndpointAddresses(config, target.name);
  validateRequestedAddresses(target, config);
}

async function connect(d: ApiDeps, { req, res, params }: Ctx): Promise<void> {
  const { container, config } = decodeConnect(await readJson(req));
  checkConnect(d.ctl, d.containers, container, params.id, config);
  await d.containers.connect(container, params.id, config);
  sendEmpty(res, 200);
}

/** A removed network has none: `disconnect -f` may still drop it from a container. */
function driverOf(ctl: Controller, ref: string): string | undefined {
  try {
    return ctl.findNetwork(ref).driver;
  } catch (err) {
    if (err instanceof NotFound) return undefined;
    throw err;
  }
}

async function disconnect(d: ApiDeps, { req, res, params }: Ctx): Promise<void> {
  const { container, force } = decodeDisconnect(await readJson(req));
  const c = d.containers.find(container);
  if (c.networkMode === 'host' && driverOf(d.ctl, params.id) === 'host') throw new InvalidArgument(CONFLICT_HOST);
  await d.containers.disconnect(container, params.id, force);
  sendEmpty(res, 200);
}

/** Status: IPAM from 1.52 on; weft's WeftConflicts at any version, while there are conflicts to tell of. */
async function networkStatus(d: ApiDeps, n: NetworkRecord, v152: boolean): Promise<{ Status?: object }> {
  const conflicts = d.conflicts?.of(n.id) ?? [];
  const status = {
    ...(v152 ? { IPAM: { Subnets: await d.ctl.ipamStatus(n) } } : {}),
    ...(conflicts.length ? { WeftConflicts: conflicts } : {}),
  };
  return Object.keys(status).length ? { Status: status } : {};
}

export function networkRoutes(d: ApiDeps): Route[] {
  return [
    { method: 'GET', path: '/networks', handler: ({ res, query }) => {
      const found = selectNetworks(d.ctl, parseFilters(query.get('filters'), LIST_FILTERS));
      sendJson(res, 200, found.map((n) => networkJson(d.ctl, n, false)));
    } },
    { method: 'GET', path: '/networks/:id', handler: async ({ req, res, params }) => {
      const n = d.ctl.findNetwork(params.id);
      sendJson(res, 200, { ...networkJson(d.ctl, n, true), ...await networkStatus(d, n, atLeast(req, '1.52')) });
    } },
    { method: 'POST', path: '/networks/create', handler: async ({ req, res }) => {
      const n = await d.ctl.createNetwork(decodeNetworkCreate(await readJson(req)));
      sendJson(res, 201, { Id: n.id, Warning: '' } satisfies NetworkCreateResponse);
    } },
    { method: 'DELETE', path: '/networks/:id', handler: async ({ res, params }) => {
      await d.ctl.deleteNetwork(params.id);
      sendEmpty(res, 204);
    } },
    { method: 'POST', path: '/networks/:id/connect', handler: (ctx) => connect(d, ctx) },
    { method: 'POST', path: '/networks/:id/disconnect', handler: (ctx) => disconnect(d, ctx) },
    { method: 'POST', path: '/weft/networks/:id/renumber', handler: async ({ res, params }) => {
      const n = d.ctl.findNetwork(params.id);
      const moved = await d.ctl.renumberNetwork(n.id);
      sendJson(res, 200, { Id: n.id, Renumbered: moved.map((m) => ({ From: m.from, To: m.to })) });
    } },
    { method: 'POST', path: '/networks/prune', handler: async ({ res, query }) => {
      const deleted = await pruneNetworks(d.ctl, d.containers, parseFilters(query.get('filters'), PRUNE_FILTERS));
      sendJson(res, 200, { NetworksDeleted: deleted } satisfies NetworkPruneResponse);
    } },
  ];
}
