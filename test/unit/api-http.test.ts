import { describe, expect, it } from 'vitest';
import { parseFilters, parseJsonObject } from '../../src/api/http.js';
import { stripVersion } from '../../src/api/server.js';
import { frame } from '../../src/api/streams.js';
import { tailLines } from '../../src/engine/logs.js';
import { parsePortKey } from '../../src/api/schemas/ports.js';

describe('API plumbing', () => {
  it('strips /v1.NN prefixes and refuses versions out of range like dockerd', () => {
    expect(stripVersion('/v1.50/networks?x=1')).toBe('/networks?x=1');
    expect(stripVersion('/v1.41/containers/json')).toBe('/containers/json');
    expect(stripVersion('/_ping')).toBe('/_ping');
    expect(() => stripVersion('/v1.12/networks')).toThrow(/too old/);
    expect(stripVersion('/v1.52/networks')).toBe('/networks');
    expect(() => stripVersion('/v1.53/networks')).toThrow(/too new/);
  });

  it('parses both filter encodings and rejects unknown keys', () => {
    const f = parseFilters('{"driver":{"bridge":true},"label":["a=b","c"]}', ['driver', 'label']);
    expect(f.get('driver')).toEqual(['bridge']);
    expect(f.get('label')).toEqual(['a=b', 'c']);
    expect(() => parseFilters('{"foo":{"x":true}}', ['driver'])).toThrow("invalid filter 'foo'");
    expect(() => parseFilters('{bad', ['driver'])).toThrow(/malformed/);
  });

  it('turns malformed JSON and non-objects into 400s', () => {
    expect(parseJsonObject('')).toEqual({});
    for (const bad of ['{"a":', '[1,2]', '"str"', 'null']) {
      try {
        parseJsonObject(bad);
        expect.unreachable();
      } catch (err) {
        expect((err as { status: number }).status).toBe(400);
      }
    }
  });

  it('frames the multiplexed stream and tails lines', () => {
    const f = frame(2, Buffer.from('hi\n'));
    expect([...f.subarray(0, 8)]).toEqual([2, 0, 0, 0, 0, 0, 0, 3]);
    expect(tailLines(Buffer.from('a\nb\nc\n'), 2).toString()).toBe('b\nc\n');
    expect(tailLines(Buffer.from('a\nb\nc'), 1).toString()).toBe('c');
    expect(tailLines(Buffer.from('a\nb\n'), -1).toString()).toBe('a\nb\n');
    expect(tailLines(Buffer.from('a\nb\n'), 0).toString()).toBe('');
  });

  it('parses port keys', () => {
    expect(parsePortKey('80/tcp')).toEqual({ port: 80, proto: 'tcp' });
    expect(parsePortKey('53/udp')).toEqual({ port: 53, proto: 'udp' });
    expect(parsePortKey('8000-8009/sctp')).toEqual({ port: 8000, end: 8009, proto: 'sctp' });
    expect(() => parsePortKey('http')).toThrow(/invalid port/);
  });
});
