/**
 * A fuzz of malformed requests from a fixed seed against one real daemon: random types and
 * bad values in the main bodies (container create, network create, connect, disconnect,
 * exec create), malformed JSON, bad query strings and paths. Every request carries at least
 * one certain fault, so each must be refused: never a 5xx, the daemon never dies, and the
 * networks, containers and the host's links and addresses are the same before and after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/util/failpoint.js';
import { TestDaemon } from '../helpers/daemon.js';
import { snapshot } from '../helpers/state.js';

// A fixed seed for CI; WEFT_FUZZ_SEED / WEFT_FUZZ_REQUESTS run other sequences.
const SEED = Number(process.env.WEFT_FUZZ_SEED ?? 0x5eed13);
const REQUESTS = Number(process.env.WEFT_FUZZ_REQUESTS ?? 600);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Kind = 'str' | 'bool' | 'strArr' | 'strMap' | 'obj' | 'arr';

interface Fuzz {
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
  value(depth?: number): Json;
  wrongType(kind: Kind): Json;
}

const STRINGS = ['', ' ', '\u0000', '/\u0000', 'a\u0000b', '%ZZ', '../../etc', 'x'.repeat(300), 'ünï©ødé', '999.1.1.1',
  'garbage', '10.0.0.0/33', '::/0', 'ff00::/64', '224.0.0.0/4', '-1', '1e9', '{}', 'null', 'true'];

function fuzzer(next: () => number): Fuzz {
  const f: Fuzz = {
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p,
    value(depth = 0): Json {
      const k = Math.floor(next() * (depth > 2 ? 4 : 6));
      if (k === 0) return null;
      if (k === 1) return f.chance(0.5);
      if (k === 2) return f.pick([0, -1, 1.5, 65536, 1e308, -0, Number.MAX_SAFE_INTEGER + 2]);
      if (k === 3) return f.pick(STRINGS);
      if (k === 4) return Array.from({ length: Math.floor(next() * 4) }, () => f.value(depth + 1));
      const o: { [k: string]: Json } = {};
      for (let i = Math.floor(next() * 4); i > 0; i--) o[f.pick(['a', '', '80/tcp', 'Subnet', '__proto__', 'constructor'])] = f.value(depth + 1);
      return o;
    },
    /** A value that is certainly not of the field's type (null is "absent", so never null). */
    wrongType(kind: Kind): Json {
      const byKind: { [k in Kind]: Json[] } = {
        str: [1, true, [], {}, ['a'], { a: 'b' }],
        bool: ['true', 1, 0, [], {}, 'yes'],
        strArr: ['sh', 1, {}, [1], [null], [['a']], [{}], [true]],
        strMap: ['a=b', 1, ['a'], { a: 1 }, { a: null }, { a: ['b'] }, { a: {} }],
        obj: ['x', 1, true, [1]],
        arr: ['x', 1, true, { a: 1 }],
      };
      return f.pick(byKind[kind]);
    },
  };
  return f;
}

/** A field of a body: where it is, its type, and values of that type that are still refused. */
interface Field { path: string[]; kind: Kind; bad: Json[] }

const CONTAINER_FIELDS: Field[] = [
  { path: ['Image'], kind: 'str', bad: ['', '/\u0000', 'busy\u0000box'] },
  { path: ['Cmd'], kind: 'strArr', bad: [['a\u0000']] },
  { path: ['Entrypoint'], kind: 'strArr', bad: [['\u0000']] },
  { path: ['Env'], kind: 'strArr', bad: [['A=\u0000'], ['\u0000']] },
  { path: ['WorkingDir'], kind: 'str', bad: ['/\u0000'] },
  { path: ['Hostname'], kind: 'str', bad: ['h\u0000'] },
  { path: ['Labels'], kind: 'strMap', bad: [] },
  { path: ['Tty'], kind: 'bool', bad: [] },
  { path: ['OpenStdin'], kind: 'bool', bad: [] },
  { path: ['Healthcheck'], kind: 'obj', bad: [{ Interval: 5 }, { Retries: -1 }, { Test: 'x' }] },
  { path: ['User'], kind: 'str', bad: ['1000'] },
  { path: ['ExposedPorts'], kind: 'obj', bad: [{ 'abc/tcp': {} }, { '0/tcp': {} }, { '80/icmp': {} }] },
  { path: ['HostConfig'], kind: 'obj', bad: [] },
  { path: ['HostConfig', 'NetworkMode'], kind: 'str', bad: ['nope!', 'container:nope!'] },
  { path: ['HostConfig', 'PortBindings'], kind: 'obj', bad: [
    { abc: [] }, { '80/tcp': [{ HostPort: '99999' }] }, { '80/tcp': [{ HostIp: 'garbage' }] }, { '80/tcp': 'x' },
    { '80/tcp': [{ HostPort: 1 }] }, { '70000/tcp': [] }, { '80/tcp': [{ HostPort: '10-5' }] }] },
  { path: ['HostConfig', 'AutoRemove'], kind: 'bool', bad: [] },
  { path: ['HostConfig', 'PublishAllPorts'], kind: 'bool', bad: [] },
  { path: ['HostConfig', 'RestartPolicy'], kind: 'obj', bad: [{ Name: 'always' }, { Name: 1 }] },
  { path: ['HostConfig', 'Binds'], kind: 'arr', bad: [['/a:/b']] },
  { path: ['NetworkingConfig', 'EndpointsConfig'], kind: 'obj', bad: [
    { n1: { IPAMConfig: { IPv4Address: 'garbage' } } }, { n1: { IPAMConfig: { IPv4Address: '999.1.1.1' } } },
    { n1: { IPAMConfig: { IPv6Address: 'zz::zz' } } }, { n1: { Aliases: [1] } }, { n1: 'x' }, { 'nope!': {} }] },
];

const NETWORK_FIELDS: Field[] = [
  { path: ['Name'], kind: 'str', bad: ['', '  ', 'n1', 'x\u0000'] },
  { path: ['Driver'], kind: 'str', bad: ['nope', 'host', 'null', '../bridge'] },
  { path: ['Scope'], kind: 'str', bad: ['weird'] },
  { path: ['EnableIPv4'], kind: 'bool', bad: [false] },
  { path: ['EnableIPv6'], kind: 'bool', bad: [] },
  { path: ['Internal'], kind: 'bool', bad: [] },
  { path: ['Ingress'], kind: 'bool', bad: [true] },
  { path: ['ConfigOnly'], kind: 'bool', bad: [true] },
  { path: ['Labels'], kind: 'strMap', bad: [] },
  { path: ['Options'], kind: 'strMap', bad: [
    { 'com.docker.network.bridge.name': 'weft0' }, { 'com.docker.network.bridge.name': 'x'.repeat(16) },
    { 'com.docker.network.bridge.name': 'a b' }, { 'com.docker.network.driver.mtu': 'abc' },
    { 'com.docker.network.driver.mtu': '10' }, { 'com.docker.network.bridge.enable_icc': 'maybe' },
    { 'com.docker.network.bridge.bogus': '1' }] },
  { path: ['IPAM'], kind: 'obj', bad: [{ Driver: 'nope' }, { Driver: 'null' }, { Config: [1] }, { Config: ['x'] }] },
  { path: ['IPAM', 'Options'], kind: 'strMap', bad: [] },
  { path: ['IPAM', 'Config'], kind: 'arr', bad: [
    [{ Subnet: 'garbage' }], [{ Subnet: '10.0.0.0/33' }], [{ Subnet: '224.0.0.0/4' }], [{ Subnet: '255.255.255.255/32' }],
    [{ Subnet: '127.0.0.0/8' }], [{ Subnet: '169.254.0.0/16' }], [{ Subnet: '0.0.0.0/0' }], [{ Subnet: '10.0.0.1/24' }],
    [{ Subnet: '10.90.0.0/24', Gateway: '10.91.0.1' }], [{ Subnet: '10.90.0.0/24', IPRange: '10.90.1.0/25' }],
    [{ Subnet: '10.90.0.0/24', Gateway: 'garbage' }], [{ Subnet: '10.90.0.0/24', AuxiliaryAddresses: { a: '1.2.3.4' } }],
    [{ Subnet: '10.90.0.0/24', AuxiliaryAddresses: { a: 1 } }], [{ Subnet: 'ff00::/64' }], [{ Subnet: '::/0' }],
    [{ Subnet: '10.77.0.0/24' }], [{ IPRange: '10.90.0.0/24' }], [{ Subnet: 1 }], [{ Subnet: '10.90.0.0/24', Gateway: 1 }]] },
];

const CONNECT_FIELDS: Field[] = [
  { path: ['Container'], kind: 'str', bad: ['', 'nope!', '\u0000'] },
  { path: ['EndpointConfig'], kind: 'obj', bad: [] },
  { path: ['EndpointConfig', 'IPAMConfig'], kind: 'obj', bad: [
    { IPv4Address: 'garbage' }, { IPv4Address: '999.1.1.1' }, { IPv4Address: '10.99.0.5' }, { IPv4Address: '0.0.0.0' },
    { IPv6Address: 'fd00::1' }, { IPv6Address: 'zz::' }, { IPv4Address: '10.77.0.5/24' }, { IPv4Address: 1 }] },
  { path: ['EndpointConfig', 'Aliases'], kind: 'strArr', bad: [] },
];

const EXEC_FIELDS: Field[] = [
  { path: ['Cmd'], kind: 'strArr', bad: [[], ['echo', '\u0000']] },
  { path: ['Tty'], kind: 'bool', bad: [] },
  { path: ['User'], kind: 'str', bad: ['root'] },
  { path: ['Env'], kind: 'strArr', bad: [['A=\u0000']] },
  { path: ['WorkingDir'], kind: 'str', bad: ['/\u0000'] },
  { path: ['AttachStdin'], kind: 'bool', bad: [] },
];

function setPath(o: { [k: string]: Json }, path: string[], v: Json): void {
  let cur = o;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as { [k: string]: Json };
  }
  cur[path[path.length - 1]] = v;
}

/** A valid body made invalid: one certain fault, plus random noise that may or may not be valid. */
function mutate(f: Fuzz, template: { [k: string]: Json }, fields: Field[]): { [k: string]: Json } {
  const body = structuredClone(template);
  for (let i = f.pick([0, 0, 1, 2, 3]); i > 0; i--) {
    const field = f.pick(fields);
    setPath(body, field.path, f.chance(0.3) ? f.value() : structuredClone(template[field.path[0]] ?? null));
  }
  const field = f.pick(fields);
  const certain = field.bad.length && f.chance(0.5) ? f.pick(field.bad) : f.wrongType(field.kind);
  setPath(body, field.path, structuredClone(certain));
  return body;
}

interface Req { method: string; path: string; body?: unknown; raw?: string }

const BAD_INTS = ['abc', '1.5', '1e3', '0x10', ' 1', '--1', '99999999999999999999', '%ZZ', '1 ', 'NaN', 'Infinity'];
const BAD_SIGNALS = ['NOPE', 'SIGFOO', '', '0', '99', '-9', 'KILL9', '%00'];
const BAD_FILTERS = ['{', '[]', '"x"', '{"bogus":["x"]}', 'null', '{"dangling":["maybe"]}', '{"label":{"a":1}, "x":[1]}'];
const NOT_IDS = ['nope!', '%ZZ', '%E0%A4%A', '%', 'a%2Fb!', '..%2F..', '@', '%C3%A9!'];
const RAW = ['{', '[]', 'null', '123', '"s"', '{"Image":', '\ufeff{}x', '{"a":1}{', '['.repeat(5000), 'true', '{"Image":"busybox",}'];

function request(f: Fuzz, ids: { running: string; stopped: string }): Req {
  const which = f.pick(['ccreate', 'ncreate', 'connect', 'disconnect', 'exec', 'query', 'path', 'raw'] as const);
  if (which === 'ccreate') {
    const name = f.chance(0.2) ? `?name=${encodeURIComponent(f.pick(['bad name', '/x', 'a\u0000', 'running']))}` : '';
    return { method: 'POST', path: `/containers/create${name}`, body: mutate(f, { Image: 'busybox', Cmd: ['sleep', '1'] }, CONTAINER_FIELDS) };
  }
  if (which === 'ncreate') {
    return { method: 'POST', path: '/networks/create', body: mutate(f, { Name: 'fz', IPAM: { Config: [{ Subnet: '10.90.0.0/24' }] } }, NETWORK_FIELDS) };
  }
  if (which === 'connect') {
    const body = mutate(f, { Container: f.pick([ids.stopped, ids.running]), EndpointConfig: {} }, CONNECT_FIELDS);
    return { method: 'POST', path: '/networks/n1/connect', body };
  }
  if (which === 'disconnect') {
    const body = f.chance(0.5) ? { Container: f.wrongType('str') } : { Container: 'running', Force: f.wrongType('bool') };
    return { method: 'POST', path: '/networks/bridge/disconnect', body };
  }
  if (which === 'exec') return { method: 'POST', path: '/containers/running/exec', body: mutate(f, { Cmd: ['true'] }, EXEC_FIELDS) };
  if (which === 'raw') {
    return { method: 'POST', path: f.pick(['/containers/create', '/networks/create', '/networks/n1/connect', '/containers/running/exec']),
      raw: f.pick(RAW) };
  }
  if (which === 'query') {
    return f.pick<() => Req>([
      () => ({ method: 'POST', path: `/containers/running/${f.pick(['stop', 'restart'])}?t=${encodeURIComponent(f.pick(BAD_INTS))}` }),
      () => ({ method: 'POST', path: `/containers/running/kill?signal=${encodeURIComponent(f.pick(BAD_SIGNALS))}` }),
      () => ({ method: 'GET', path: `/containers/json?limit=${encodeURIComponent(f.pick(BAD_INTS))}` }),
      () => ({ method: f.pick(['GET', 'POST']), path: `/${f.pick(['containers', 'networks'])}/${f.pick(['json', 'prune'])}?filters=${
        encodeURIComponent(f.pick(BAD_FILTERS))}` }),
      () => ({ method: 'GET', path: `/networks?filters=${encodeURIComponent(f.pick(BAD_FILTERS))}` }),
    ])();
  }
  const id = f.pick(NOT_IDS);
  return f.pick<Req>([
    { method: 'DELETE', path: `/networks/${id}` }, { method: 'DELETE', path: `/containers/${id}?force=1` },
    { method: 'POST', path: `/networks/${id}/connect`, body: { Container: 'stopped' } },
    { method: 'POST', path: `/containers/${id}/start` }, { method: 'POST', path: `/containers/${id}/stop` },
    { method: 'GET', path: `/containers/${id}/json` }, { method: 'PUT', path: '/networks' }, { method: 'PATCH', path: `/containers/${id}` },
    { method: 'POST', path: `/exec/${id}/start`, body: {} }, { method: 'GET', path: `/${id}/${id}` },
  ]);
}

/** A refusal is quick: a request that hangs is a failure, named. */
function withTimeout<T>(p: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no reply in ${ms} ms: ${what}`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe('fuzz: malformed requests', () => {
  let d: TestDaemon;
  const ids = { running: '', stopped: '' };

  beforeAll(async () => {
    d = new TestDaemon('nftables');
    await d.start();
    expect((await d.api('POST', '/networks/create', { Name: 'n1', IPAM: { Config: [{ Subnet: '10.77.0.0/24' }] } })).status).toBe(201);
    for (const name of ['stopped', 'running'] as const) {
      const r = await d.api('POST', `/containers/create?name=${name}`, { Image: 'busybox', Cmd: ['sleep', '600'] });
      expect(r.status).toBe(201);
      ids[name] = r.body.Id;
    }
    expect((await d.api('POST', '/containers/running/start')).status).toBe(204);
  }, 60_000);

  afterAll(async () => {
    await d?.destroy();
  });

  it(`${REQUESTS} requests from seed ${SEED}: no 5xx, no crash, no state change`, async () => {
    const before = await snapshot(d);
    const f = fuzzer(mulberry32(SEED));
    const accepted: string[] = [];
    const fivexx: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < REQUESTS; i++) {
      const r = request(f, ids);
      const asked = `#${i} ${r.method} ${r.path} ${r.raw?.slice(0, 100) ?? JSON.stringify(r.body)}`;
      const reply = await withTimeout(d.api(r.method, r.path, r.raw === undefined ? r.body : undefined, r.raw), asked);
      const what = `${asked} -> ${reply.status} ${reply.text.slice(0, 200)}`;
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      if (reply.status >= 500) fivexx.push(what);
      else if (reply.status < 400) accepted.push(what);
      expect(d.child?.exitCode, `daemon died at ${what}`).toBeNull();
      if (i % 100 === 99) expect(await snapshot(d), `state changed by #${i - 99}..#${i}`).toBe(before);
    }
    console.log(`fuzz seed ${SEED}: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(fivexx).toEqual([]);
    expect(accepted).toEqual([]);
    expect(await snapshot(d)).toBe(before);
  }, 120_000);
});
