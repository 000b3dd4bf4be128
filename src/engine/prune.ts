/** `docker container prune` and `docker network prune`: what goes, removed one by one. */
import type { Controller } from '../controller/controller.js';
import { InvalidArgument } from '../util/errors.js';
import { parseUntil } from '../util/duration.js';
import { type Filters, labelsPass } from './container-filters.js';
import type { ContainerService } from './containers.js';

export const PRUNE_FILTERS = ['until', 'label', 'label!'];

/**
 * The `until` cutoff in epoch ms; one at most. An empty value is refused for containers
 * and ignored for networks (the two prunes differ here).
 */
function cutoffOf(f: Filters, emptyIsNone: boolean): number | undefined {
  if ((f.get('until')?.length ?? 0) > 1) throw new InvalidArgument('more than one until filter specified');
  const until = f.get('until')?.[0];
  if (until === undefined || (emptyIsNone && until === '')) return undefined;
  return parseUntil(until);
}

const createdBefore = (created: string, cutoff: number | undefined) => cutoff === undefined || Date.parse(created) <= cutoff;

/** Removes stopped containers that pass the filters; their ids. */
export async function pruneContainers(svc: ContainerService, f: Filters): Promise<string[]> {
  const cutoff = cutoffOf(f, false);
  const deleted: string[] = [];
  for (const c of svc.list()) {
    if (c.status === 'running' || c.status === 'removing') continue;
    if (!createdBefore(c.created, cutoff) || !labelsPass(c.labels, f)) continue;
    await svc.remove(c.id, false);
    deleted.push(c.id);
  }
  return deleted;
}

/** Removes user networks no endpoint and no container uses that pass the filters; their names. */
export async function pruneNetworks(ctl: Controller, svc: ContainerService, f: Filters): Promise<string[]> {
  const cutoff = cutoffOf(f, true);
  const deleted: string[] = [];
  for (const n of ctl.listNetworks()) {
    if (n.predefined || ctl.endpointsOf(n.id).length) continue;
    if (svc.list().some((c) => c.networks.some((x) => x.name === n.name || x.name === n.id))) continue;
    if (!createdBefore(n.created, cutoff) || !labelsPass(n.labels, f)) continue;
    await ctl.deleteNetwork(n.id);
    deleted.push(n.name);
  }
  return deleted;
}
