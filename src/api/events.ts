/**
 * GET /events as dockerd streams it: one JSON message per line, first the kept events
 * `since` asked for (and, with only `until`, every kept one up to it), then live events
 * until `until` passes or the client goes. A client that stops reading must not cost the
 * daemon memory: once more than MAX_PENDING bytes wait for it, it is dropped.
 */
import type { EventBus, EventMessage } from '../util/event-bus.js';
import { InvalidArgument } from '../util/errors.js';
import { eventMatches, EVENT_FILTERS } from './event-filter.js';
import { baseHeaders, parseFilters } from './http.js';
import type { Ctx, Route } from './router.js';

/** Bytes queued for one client beyond which it is dropped (dockerd drops a subscriber whose 1024-event queue is full). */
export const MAX_PENDING = 1 << 20;

/**
 * A `since`/`until` value in nanoseconds: unix seconds with optional fraction, as the docker CLI
 * sends them (timetypes.ParseTimestamps), or an RFC 3339 time; empty → undefined.
 */
export function eventTime(v: string | null): number | undefined {
  if (!v) return undefined;
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (m) return Number(m[1]) * 1e9 + Number((m[2] ?? '').padEnd(9, '0'));
  const ms = /^\d{4}-\d\d-\d\dT/.test(v) ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(ms)) throw new InvalidArgument(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return ms * 1e6;
}

function checkRange(query: URLSearchParams): { since?: number; until?: number } {
  const since = eventTime(query.get('since'));
  const until = eventTime(query.get('until'));
  if (until !== undefined && until < (since ?? 0)) {
    throw new InvalidArgument(`\`since\` time (${query.get('since')}) cannot be after \`until\` time (${query.get('until')})`);
  }
  return { ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) };
}

/** The stream ends (resolving) when until passes, the client goes, or the client is dropped. */
export function streamEvents(bus: EventBus, { res, query }: Ctx): Promise<void> {
  const filters = parseFilters(query.get('filters'), EVENT_FILTERS);
  const { since, until } = checkRange(query);
  res.writeHead(200, { ...baseHeaders(), 'Content-Type': 'application/json' });
  res.flushHeaders();
  const send = (ev: EventMessage) => {
    if (eventMatches(filters, ev)) res.write(`${JSON.stringify(ev)}\n`);
  };
  if (since !== undefined || until !== undefined) bus.recent(since, until).forEach(send);
  const nowNano = Date.now() * 1e6;
  if (until !== undefined && until <= nowNano) {
    res.end();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const unsubscribe = bus.subscribe((ev) => {
      if (res.writableLength > MAX_PENDING) return finish(true);
      send(ev);
    });
    const timer = until !== undefined ? setTimeout(() => finish(false), (until - nowNano) / 1e6) : undefined;
    let done = false;
    const finish = (drop: boolean) => {
      if (done) return;
      done = true;
      unsubscribe();
      clearTimeout(timer);
      if (drop) res.destroy();
      else res.end();
      resolve();
    };
    res.once('close', () => finish(false));
    res.once('error', () => finish(true));
  });
}

export function eventRoutes(bus: EventBus): Route[] {
  return [{ method: 'GET', path: '/events', handler: (ctx) => streamEvents(bus, ctx) }];
}
