/**
 * Swarm-mode endpoints answered as a dockerd that never joined a swarm answers them (503,
 * daemon/cluster's wording): clients probe them (docker-py's leave_swarm treats "not part of
 * a swarm" as success; `docker info` callers look at /swarm) and must not see a 404.
 * weft has no swarm mode, so init and join are refused with the same status.
 */
import { sendJson } from './http.js';
import type { Ctx, Route } from './router.js';

export const NO_SWARM = 'This node is not part of a swarm';
export const NOT_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect ' +
  'this node to swarm and try again.';
const NO_SWARM_MODE = 'weft does not support swarm mode (docker swarm init/join): use its own cluster store for overlay networks';

const unavailable = (message: string) => ({ res }: Ctx): void => sendJson(res, 503, { message });

/** The object collections only a swarm manager serves, and what each answers to. */
const COLLECTIONS: [string, string[]][] = [
  ['nodes', []],
  ['services', ['create']],
  ['tasks', []],
  ['secrets', ['create']],
  ['configs', ['create']],
];

function collectionRoutes(): Route[] {
  const manager = unavailable(NOT_MANAGER);
  return COLLECTIONS.flatMap(([name, creates]) => [
    { method: 'GET', path: `/${name}`, handler: manager },
    ...creates.map((c) => ({ method: 'POST', path: `/${name}/${c}`, handler: manager })),
    { method: 'GET', path: `/${name}/:id`, handler: manager },
    { method: 'DELETE', path: `/${name}/:id`, handler: manager },
    { method: 'POST', path: `/${name}/:id/update`, handler: manager },
    { method: 'GET', path: `/${name}/:id/logs`, handler: manager },
  ]);
}

export function swarmRoutes(): Route[] {
  const manager = unavailable(NOT_MANAGER);
  return [
    { method: 'GET', path: '/swarm', handler: manager },
    { method: 'POST', path: '/swarm/leave', handler: unavailable(NO_SWARM) },
    { method: 'POST', path: '/swarm/init', handler: unavailable(NO_SWARM_MODE) },
    { method: 'POST', path: '/swarm/join', handler: unavailable(NO_SWARM_MODE) },
    { method: 'POST', path: '/swarm/update', handler: manager },
    { method: 'GET', path: '/swarm/unlockkey', handler: manager },
    { method: 'POST', path: '/swarm/unlock', handler: manager },
    ...collectionRoutes(),
  ];
}
