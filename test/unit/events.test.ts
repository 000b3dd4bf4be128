/** The event bus, GET /events' filters and time bounds, the CLI's event line, the text log format. */
import { describe, expect, it } from 'vitest';
import { eventMatches } from '../../src/api/event-filter.js';
import { eventTime } from '../../src/api/events.js';
import { eventLine, eventTimeText } from '../../src/cli/commands/events.js';
import { textLine } from '../../src/daemon/logger.js';
import { EventBus, type EventMessage } from '../../src/util/event-bus.js';

const f = (o: { [k: string]: string[] }) => new Map(Object.entries(o));

describe('event bus', () => {
  it('stamps strictly increasing times, keeps a bounded ring, fills legacy fields for containers only', () => {
    const bus = new EventBus(3);
    const evs = [1, 2, 3, 4, 5].map((i) => bus.publish(i % 2 ? 'container' : 'network', 'create', { ID: `id${i}`, Attributes: { image: 'busybox' } }));
    for (let i = 1; i < evs.length; i++) expect(evs[i].timeNano).toBeGreaterThan(evs[i - 1].timeNano);
    expect(bus.recent().map((e) => e.Actor.ID)).toEqual(['id3', 'id4', 'id5']);
    expect(bus.recent(evs[3].timeNano, evs[3].timeNano).map((e) => e.Actor.ID)).toEqual(['id4']);
    expect(evs[0]).toMatchObject({ status: 'create', id: 'id1', from: 'busybox', scope: 'local' });
    expect(evs[1].status).toBeUndefined();
    expect(evs[0].time).toBe(Math.floor(evs[0].timeNano / 1e9));
    // Whole microseconds: the JSON number is the exact nanosecond count dockerd's clients parse.
    for (const ev of evs) expect(JSON.stringify(ev.timeNano)).toMatch(/^\d{16}000$/);
  });

  it('a subscriber that throws loses only its own delivery', () => {
    const errors: unknown[] = [];
    const bus = new EventBus(10, (err) => errors.push(err));
    const seen: string[] = [];
    bus.subscribe(() => { throw new Error('boom'); });
    const off = bus.subscribe((ev) => seen.push(ev.Action));
    bus.publish('network', 'create', { ID: 'n', Attributes: {} });
    off();
    bus.publish('network', 'destroy', { ID: 'n', Attributes: {} });
    expect(seen).toEqual(['create']);
    expect(errors).toHaveLength(2);
  });
});

describe('event filters (dockerd daemon/events Filter)', () => {
  const bus = new EventBus();
  const die = bus.publish('container', 'die', { ID: 'abc123', Attributes: { name: 'web', image: 'busybox', tier: 'front', exitCode: '3' } });
  const health = bus.publish('container', 'health_status: healthy', { ID: 'abc123', Attributes: { name: 'web', image: 'busybox' } });
  const conn = bus.publish('network', 'connect', { ID: 'net999', Attributes: { name: 'blue', type: 'bridge', container: 'abc123' } });

  it('type and event exactly; suffixed actions by prefix', () => {
    expect(eventMatches(f({ type: ['network'] }), conn)).toBe(true);
    expect(eventMatches(f({ type: ['network'] }), die)).toBe(false);
    expect(eventMatches(f({ event: ['die', 'start'] }), die)).toBe(true);
    expect(eventMatches(f({ event: ['di'] }), die)).toBe(false);
    expect(eventMatches(f({ event: ['health_status'] }), health)).toBe(true);
    expect(eventMatches(f({ event: ['health_status: healthy'] }), health)).toBe(true);
  });

  it('actor filters by ID or name, exactly or by prefix; a network event is not its container\'s', () => {
    expect(eventMatches(f({ container: ['web'] }), die)).toBe(true);
    expect(eventMatches(f({ container: ['abc'] }), die)).toBe(true);
    expect(eventMatches(f({ container: ['db'] }), die)).toBe(false);
    expect(eventMatches(f({ container: ['web'] }), conn)).toBe(false);
    expect(eventMatches(f({ network: ['blue'] }), conn)).toBe(true);
    expect(eventMatches(f({ network: ['blue'] }), die)).toBe(false);
    expect(eventMatches(f({ image: ['busybox'] }), die)).toBe(true);
  });

  it('label as key or key=value; every label must match', () => {
    expect(eventMatches(f({ label: ['tier'] }), die)).toBe(true);
    expect(eventMatches(f({ label: ['tier=front'] }), die)).toBe(true);
    expect(eventMatches(f({ label: ['tier=front', 'zone'] }), die)).toBe(false);
    expect(eventMatches(f({ label: ['tier=back'] }), die)).toBe(false);
  });
});

describe('since/until values', () => {
  it('unix seconds with a fraction, RFC 3339; anything else is refused in dockerd\'s words', () => {
    expect(eventTime('1700000000')).toBe(1700000000e9);
    expect(eventTime('1700000000.5')).toBe(1700000000.5e9);
    expect(eventTime('2023-11-14T22:13:20Z')).toBe(1700000000e9);
    expect(eventTime('')).toBeUndefined();
    expect(() => eventTime('yesterday')).toThrow('strconv.ParseInt: parsing "yesterday": invalid syntax');
  });
});

describe('docker events\' default line', () => {
  it('time with nanoseconds, type, action, actor and sorted attributes', () => {
    const ev: EventMessage = {
      Type: 'network', Action: 'connect', Actor: { ID: 'n1', Attributes: { type: 'bridge', name: 'blue', container: 'c1' } },
      scope: 'local', time: 1700000000, timeNano: 0,
    };
    const json = JSON.stringify(ev).replace('"timeNano":0', '"timeNano":1700000000123456789');
    const tz = process.env.TZ;
    process.env.TZ = 'UTC';
    try {
      expect(eventLine(json)).toBe('2023-11-14T22:13:20.123456789Z network connect n1 (container=c1, name=blue, type=bridge)\n');
      expect(eventTimeText(1700000000000000001n)).toBe('2023-11-14T22:13:20.000000001Z');
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });
});

describe('text log format', () => {
  it('one line: time, level, message, fields; errors by message', () => {
    const line = JSON.stringify({ level: 30, time: 1700000000000, pid: 1, msg: 'network created', reqId: 'r1', network: 'blue net' });
    expect(textLine(line)).toBe('2023-11-14T22:13:20.000Z INFO  network created reqId=r1 network="blue net"\n');
    const err = JSON.stringify({ level: 50, time: 1700000000000, msg: 'failed', err: { type: 'Error', message: 'boom', stack: 'x' } });
    expect(textLine(err)).toBe('2023-11-14T22:13:20.000Z ERROR failed err="boom"\n');
    expect(textLine('not json\n')).toBe('not json\n');
  });
});
