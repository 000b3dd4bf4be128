/**
 * GET /events' filters, matched as dockerd's daemon/events Filter does: `type` and `scope`
 * exactly, `event` exactly (by prefix for health_status, exec_create and exec_start, whose
 * actions carry a suffix), an object filter (container, network, ...) by the actor's ID or
 * name, exactly or by prefix, and `label` as key or key=value among the attributes.
 * Values of one filter are alternatives; different filters must all match.
 */
import type { EventMessage } from '../util/event-bus.js';

export const EVENT_FILTERS = [
  'config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type',
  'volume',
];

/** Filters whose values name an actor: its ID or its `name` attribute. */
const ACTOR_FILTERS = ['config', 'container', 'daemon', 'network', 'node', 'plugin', 'secret', 'service', 'volume'];
/** Actions that carry ": detail"; a filter naming one without the colon matches by prefix. */
const SUFFIXED_ACTIONS = ['health_status', 'exec_create', 'exec_start'];

type Filters = Map<string, string[]>;

const exact = (f: Filters, key: string, source: string): boolean => {
  const vals = f.get(key);
  return !vals?.length || vals.includes(source);
};

const fuzzy = (f: Filters, key: string, source: string | undefined): boolean =>
  exact(f, key, source ?? '') || (f.get(key) ?? []).some((v) => source?.startsWith(v));

function matchAction(f: Filters, ev: EventMessage): boolean {
  const loose = (f.get('event') ?? []).some((v) => SUFFIXED_ACTIONS.includes(v));
  return loose ? fuzzy(f, 'event', ev.Action) : exact(f, 'event', ev.Action);
}

function matchLabels(f: Filters, attrs: { [k: string]: string }): boolean {
  return (f.get('label') ?? []).every((l) => {
    const eq = l.indexOf('=');
    return eq < 0 ? l in attrs : attrs[l.slice(0, eq)] === l.slice(eq + 1);
  });
}

function matchImage(f: Filters, ev: EventMessage): boolean {
  if (!f.get('image')?.length) return true;
  const image = ev.Type === 'image' ? ev.Actor.ID : ev.Actor.Attributes.image;
  return fuzzy(f, 'image', image) || fuzzy(f, 'image', ev.Actor.Attributes.name);
}

export function eventMatches(f: Filters, ev: EventMessage): boolean {
  if (!matchAction(f, ev) || !exact(f, 'type', ev.Type) || !exact(f, 'scope', ev.scope)) return false;
  for (const key of ACTOR_FILTERS) {
    if (f.get(key)?.length && !fuzzy(f, key, ev.Actor.ID) && !fuzzy(f, key, ev.Actor.Attributes.name)) return false;
  }
  return matchImage(f, ev) && matchLabels(f, ev.Actor.Attributes);
}
