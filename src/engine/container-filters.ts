/** Docker's filter rules for listing (`ps`) and pruning containers and networks. */
import type { Controller } from '../controller/controller.js';
import type { ContainerRecord } from './containers.js';

/** A filter query decoded: key → the values given for it. */
export type Filters = Map<string, string[]>;

/** `label=key` (present) or `label=key=value` (equal). */
export function labelMatch(labels: { [k: string]: string }, want: string): boolean {
  const i = want.indexOf('=');
  return i < 0 ? want in labels : labels[want.slice(0, i)] === want.slice(i + 1);
}

/** Every `label` filter matches and no `label!` filter does (prune's rule). */
export function labelsPass(labels: { [k: string]: string }, f: Filters): boolean {
  if (f.get('label') && !f.get('label')!.every((l) => labelMatch(labels, l))) return false;
  if (f.get('label!') && f.get('label!')!.some((l) => labelMatch(labels, l))) return false;
  return true;
}

/** dockerd's name filter: a regular expression on the name (with its leading slash). */
function matchName(pattern: string, name: string): boolean {
  try {
    return new RegExp(pattern).test(`/${name}`);
  } catch {
    return `/${name}`.includes(pattern);
  }
}

export const PS_FILTERS = ['id', 'name', 'label', 'status', 'network', 'exited', 'ancestor'];

/** `docker ps`: which containers to list, in the service's order. */
export function selectContainers(
  all: ContainerRecord[], ctl: Controller, f: Filters, o: { all: boolean; limit: number },
): ContainerRecord[] {
  // As dockerd: a limit (docker ps -n N / -l) lists stopped containers too.
  let list = all.filter((c) => o.all || o.limit > 0 || c.status === 'running' || f.has('status') || f.has('exited'));
  const has = (k: string, pred: (v: string) => boolean) => !f.get(k) || f.get(k)!.some(pred);
  const onNetwork = (c: ContainerRecord, v: string) =>
    c.networks.some((n) => n.name === v || ctl.listNetworks().some((x) => x.id.startsWith(v) && x.name === n.name));
  list = list.filter((c) =>
    has('id', (v) => c.id.startsWith(v)) &&
    has('name', (v) => matchName(v, c.name)) &&
    (!f.get('label') || f.get('label')!.every((l) => labelMatch(c.labels, l))) &&
    has('status', (v) => v === c.status) &&
    has('exited', (v) => c.status === 'exited' && c.exitCode === Number(v)) &&
    has('ancestor', (v) => c.image === v) &&
    has('network', (v) => onNetwork(c, v)));
  return o.limit > 0 ? list.slice(0, o.limit) : list;
}
