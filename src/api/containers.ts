/** /containers: create, list, inspect, the lifecycle (start, stop, kill, rm), top and prune. */
import type { ContainerRecord } from '../engine/containers.js';
import { selectContainers, PS_FILTERS } from '../engine/container-filters.js';
import { normaliseSignal } from '../engine/exec.js';
import { pruneContainers, PRUNE_FILTERS } from '../engine/prune.js';
import { Conflict, NotFound } from '../util/errors.js';
import type { ApiDeps } from './deps.js';
import { withImageDefaults } from './image-defaults.js';
import { parseFilters, qbool, qint, readJson, sendEmpty, sendJson } from './http.js';
import { startError } from './port-errors.js';
import type { Ctx, Route } from './router.js';
import { decodeContainerCreate, parseContainerCreate } from './schemas/container-create.js';
import type { ContainerCreateResponse, ContainerPruneResponse } from './types.js';
import { containerInspectJson } from './views/container-inspect.js';
import { atLeast } from './api-version.js';
import { containerSummaryJson } from './views/container-summary.js';

/** Docker's default stop timeout, in seconds, unless the container was created with Config.StopTimeout. */
const STOP_TIMEOUT = 10;
const timeoutOf = (query: URLSearchParams, c: ContainerRecord) => {
  const own = c.kept?.config.StopTimeout;
  return qint(query, 't', typeof own === 'number' ? own : STOP_TIMEOUT);
};

async function create(d: ApiDeps, { req, res, query }: Ctx): Promise<void> {
  const parsed = parseContainerCreate(await readJson(req));
  const image = await d.images.resolve(parsed.Image);
  const { entrypoint, cmd, ...b } = withImageDefaults(decodeContainerCreate(parsed), image.config);
  const c = await d.containers.create({
    ...b, name: query.get('name') || undefined, rootfs: image.rootfs, imageId: image.id, cmd: [...entrypoint, ...cmd],
  });
  sendJson(res, 201, { Id: c.id, Warnings: [] } satisfies ContainerCreateResponse);
}

function list(d: ApiDeps, { res, query }: Ctx): void {
  const f = parseFilters(query.get('filters'), PS_FILTERS);
  const found = selectContainers(d.containers.list(), d.ctl, f, { all: qbool(query.get('all')), limit: qint(query, 'limit', -1) });
  sendJson(res, 200, found.map((c) => containerSummaryJson(d.ctl, c)));
}

async function start(d: ApiDeps, { res, params }: Ctx): Promise<void> {
  const c = d.containers.find(params.id);
  if (c.status === 'running') return sendEmpty(res, 304);
  try {
    await d.containers.start(params.id);
  } catch (err) {
    throw startError(err, c.name);
  }
  sendEmpty(res, 204);
}

async function stop(d: ApiDeps, { res, params, query }: Ctx): Promise<void> {
  const c = d.containers.find(params.id);
  const timeout = timeoutOf(query, c);
  if (c.status !== 'running') return sendEmpty(res, 304);
  await d.containers.stop(params.id, timeout);
  sendEmpty(res, 204);
}

async function prune(d: ApiDeps, { res, query }: Ctx): Promise<void> {
  const deleted = await pruneContainers(d.containers, parseFilters(query.get('filters'), PRUNE_FILTERS));
  sendJson(res, 200, { ContainersDeleted: deleted, SpaceReclaimed: 0 } satisfies ContainerPruneResponse);
}

function top(d: ApiDeps, { res, params }: Ctx): void {
  const c = d.containers.find(params.id);
  if (c.status !== 'running') throw new Conflict(`container ${c.id} is not running`);
  sendJson(res, 200, { Titles: ['PID', 'CMD'], Processes: [[String(c.pid), c.cmd.join(' ')]] });
}

export function containerRoutes(d: ApiDeps): Route[] {
  return [
    { method: 'POST', path: '/containers/create', handler: (ctx) => create(d, ctx) },
    { method: 'GET', path: '/containers/json', handler: (ctx) => list(d, ctx) },
    { method: 'GET', path: '/containers/:id/json', handler: ({ req, res, params }) =>
      sendJson(res, 200, containerInspectJson(d.ctl, d.containers, d.containers.find(params.id), !atLeast(req, '1.52'))) },
    { method: 'POST', path: '/containers/:id/start', handler: (ctx) => start(d, ctx) },
    { method: 'POST', path: '/containers/:id/stop', handler: (ctx) => stop(d, ctx) },
    { method: 'POST', path: '/containers/:id/restart', handler: async ({ res, params, query }) => {
      await d.containers.stop(params.id, timeoutOf(query, d.containers.find(params.id)));
      d.events.log(await d.containers.start(params.id), 'restart');
      sendEmpty(res, 204);
    } },
    { method: 'POST', path: '/containers/:id/kill', handler: async ({ res, params, query }) => {
      await d.containers.kill(params.id, normaliseSignal(query.get('signal') ?? 'SIGKILL'));
      sendEmpty(res, 204);
    } },
    { method: 'DELETE', path: '/containers/:id', handler: async ({ res, params, query }) => {
      if (qbool(query.get('link'))) throw new Conflict('Conflict, cannot remove the default link name of the container');
      await d.containers.remove(params.id, qbool(query.get('force')));
      sendEmpty(res, 204);
    } },
    // A link's name is "/linker/alias"; removing it (link=1) is all dockerd does with such a name.
    { method: 'DELETE', path: '/containers/:id/:alias', handler: async ({ res, params, query }) => {
      if (!qbool(query.get('link'))) throw new NotFound(`No such container: ${params.id}/${params.alias}`);
      await d.containers.removeLink(params.id, params.alias);
      sendEmpty(res, 204);
    } },
    { method: 'POST', path: '/containers/:id/rename', handler: async ({ res, params, query }) => {
      await d.containers.rename(params.id, query.get('name') ?? '');
      sendEmpty(res, 204);
    } },
    { method: 'POST', path: '/containers/prune', handler: (ctx) => prune(d, ctx) },
    { method: 'GET', path: '/containers/:id/top', handler: (ctx) => top(d, ctx) },
    { method: 'POST', path: '/containers/:id/resize', handler: async ({ res, params, query }) => {
      await d.containers.resize(params.id, qint(query, 'h', 0), qint(query, 'w', 0));
      sendEmpty(res, 200);
    } },
  ];
}
