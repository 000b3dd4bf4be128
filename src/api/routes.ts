/** The whole Engine API weft serves: one table, a section per resource. */
import { cniRoutes } from './cni.js';
import { containerStreamRoutes } from './container-streams.js';
import { containerRoutes } from './containers.js';
import type { ApiDeps } from './deps.js';
import { eventRoutes } from './events.js';
import { execRoutes } from './exec.js';
import { explainRoutes } from './explain.js';
import { imageRoutes } from './images.js';
import { metricsRoutes } from './metrics.js';
import { networkRoutes } from './networks.js';
import { type Route, Router } from './router.js';
import { swarmRoutes } from './swarm.js';
import { systemRoutes } from './system.js';

export function apiRoutes(d: ApiDeps): Route[] {
  return [
    ...systemRoutes(d),
    ...networkRoutes(d),
    ...explainRoutes(d),
    ...containerRoutes(d),
    ...containerStreamRoutes(d),
    ...execRoutes(d),
    ...eventRoutes(d.events.bus),
    ...imageRoutes(d),
    ...swarmRoutes(),
    ...metricsRoutes(),
    ...cniRoutes(d.cni),
  ];
}

export function apiRouter(d: ApiDeps): Router {
  return new Router(apiRoutes(d));
}
