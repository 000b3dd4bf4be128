/**
 * Pure parts of the CLI: -p parsing, the multiplexed-stream demuxer, table/template
 * rendering, humanised times and statuses, IPAM pairing, query/error encoding.
 */
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { encodeFilters, encodeQuery, errorMessage, parseHost } from '../../src/cli/client.js';
import { parseTimestamp } from '../../src/cli/commands/logs.js';
import { normalizeBoolFlags } from '../../src/cli/commands/network-create.js';
import { consolidateIpam } from '../../src/cli/commands/network-ipam.js';
import { networkConfig, resolveEnv } from '../../src/cli/commands/run-flags.js';
import {
  displayablePorts, ellipsis, goTimeString, humanDuration, runningFor, stateString,
} from '../../src/cli/format/humanize.js';
import { parsePortSpec, portMaps } from '../../src/cli/ports.js';
import { encodeFrame, StdDemuxer, stdCopy } from '../../src/cli/stdcopy.js';
import { formatInspect, formatList } from '../../src/cli/format/list.js';
import { naturalCompare } from '../../src/cli/format/natural-sort.js';
import { renderTable } from '../../src/cli/format/tabwriter.js';
import { renderTemplate } from '../../src/cli/format/template/index.js';

class Sink extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

describe('-p parsing (nat.ParsePortSpec)', () => {
  const cases: [string, { port: string; HostIp: string; HostPort: string }[]][] = [
    ['80', [{ port: '80/tcp', HostIp: '', HostPort: '' }]],
    ['8080:80', [{ port: '80/tcp', HostIp: '', HostPort: '8080' }]],
    ['127.0.0.1:8080:80', [{ port: '80/tcp', HostIp: '127.0.0.1', HostPort: '8080' }]],
    ['[::1]:8080:80', [{ port: '80/tcp', HostIp: '::1', HostPort: '8080' }]],
    ['::1:8080:80', [{ port: '80/tcp', HostIp: '::1', HostPort: '8080' }]],
    ['8080:80/udp', [{ port: '80/udp', HostIp: '', HostPort: '8080' }]],
    ['53:53/UDP', [{ port: '53/udp', HostIp: '', HostPort: '53' }]],
    ['127.0.0.1::80', [{ port: '80/tcp', HostIp: '127.0.0.1', HostPort: '' }]],
    ['9000/sctp', [{ port: '9000/sctp', HostIp: '', HostPort: '' }]],
    ['8000-8002:80-82', [
      { port: '80/tcp', HostIp: '', HostPort: '8000' },
      { port: '81/tcp', HostIp: '', HostPort: '8001' },
      { port: '82/tcp', HostIp: '', HostPort: '8002' },
    ]],
    ['80-81', [{ port: '80/tcp', HostIp: '', HostPort: '' }, { port: '81/tcp', HostIp: '', HostPort: '' }]],
    ['0.0.0.0:8000-8009:80', [{ port: '80/tcp', HostIp: '0.0.0.0', HostPort: '8000-8009' }]],
  ];
  for (const [spec, want] of cases) {
    it(`parses ${spec}`, () => {
      expect(parsePortSpec(spec).map((m) => ({ port: m.port, ...m.binding }))).toEqual(want);
    });
  }

  const bad: [string, string][] = [
    ['8000-8009:80-81', 'invalid ranges specified for container and host Ports: 80-81 and 8000-8009'],
    ['8080:80/icmp', 'invalid proto: icmp'],
    ['notanip:8080:80', 'invalid IP address: notanip'],
    ['8080:', 'no port specified: 8080:<empty>'],
    ['8080:99999', 'invalid containerPort: 99999'],
    ['x:80', 'invalid hostPort: x'],
    ['90-80', 'invalid containerPort: 90-80'],
  ];
  for (const [spec, msg] of bad) {
    it(`rejects ${spec}`, () => expect(() => parsePortSpec(spec)).toThrow(msg));
  }

  it('collects ExposedPorts and PortBindings like the captured docker body', () => {
    expect(portMaps(['127.0.0.1:8081:80/tcp', '53:53/udp', '9000', '0.0.0.0:8082:80'], ['7000-7001/udp'])).toEqual({
      exposedPorts: { '80/tcp': {}, '53/udp': {}, '9000/tcp': {}, '7000/udp': {}, '7001/udp': {} },
      portBindings: {
        '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8081' }, { HostIp: '0.0.0.0', HostPort: '8082' }],
        '53/udp': [{ HostIp: '', HostPort: '53' }],
        '9000/tcp': [{ HostIp: '', HostPort: '' }],
      },
    });
  });
});

describe('multiplexed stream demuxer', () => {
  it('reassembles frames split at every byte boundary', () => {
    const wire = Buffer.concat([encodeFrame(1, 'hello from stdout\n'), encodeFrame(2, 'err\n'), encodeFrame(1, '')]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const d = new StdDemuxer();
      const frames = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
      expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([[1, 'hello from stdout\n'], [2, 'err\n'], [1, '']]);
      expect(d.pending).toBe(0);
    }
  });

  it('parses the exact bytes of the docker capture', () => {
    // resp: ^A^@^@^@^@^@^@^Rhello from stdout\n^B^@^@^@^@^@^@^Rhello from stderr\n
    const wire = Buffer.from(
      '\x01\x00\x00\x00\x00\x00\x00\x12hello from stdout\n\x02\x00\x00\x00\x00\x00\x00\x12hello from stderr\n', 'latin1');
    const frames = new StdDemuxer().push(wire);
    expect(frames).toHaveLength(2);
    expect(frames[0]!.stream).toBe(1);
    expect(frames[1]!.payload.toString()).toBe('hello from stderr\n');
  });

  it('handles payloads larger than one chunk and keeps the remainder pending', () => {
    const big = Buffer.alloc(70_000, 'x');
    const d = new StdDemuxer();
    const wire = encodeFrame(1, big);
    expect(d.push(wire.subarray(0, 65536))).toEqual([]);
    expect(d.pending).toBe(65536);
    const frames = d.push(wire.subarray(65536));
    expect(frames[0]!.payload.length).toBe(70_000);
  });

  it('rejects an unknown stream id', () => {
    expect(() => new StdDemuxer().push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 1, 65]))).toThrow('Unrecognized input header: 9');
  });

  it('stdCopy routes stdout/stderr and ends with the systemerr message', async () => {
    const src = new PassThrough();
    const out = new Sink(), err = new Sink();
    const done = stdCopy(src, out, err);
    src.write(encodeFrame(1, 'a'));
    src.write(encodeFrame(0, 'b')); // stdin frames go to stdout, as docker's stdcopy does
    src.write(encodeFrame(2, 'c'));
    src.end(encodeFrame(3, 'boom'));
    await expect(done).rejects.toThrow('error from daemon in stream: boom');
    expect(out.text).toBe('ab');
    expect(err.text).toBe('c');
  });
});

describe('tables', () => {
  it('pads like docker tabwriter (min width 10, padding 3, last column bare)', () => {
    expect(renderTable([
      ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'],
      ['17f29b073143', 'bridge', 'bridge', 'local'],
      ['529b382bce33', 'net1', 'bridge', 'local'],
    ])).toBe(
      'NETWORK ID     NAME      DRIVER    SCOPE\n' +
      '17f29b073143   bridge    bridge    local\n' +
      '529b382bce33   net1      bridge    local\n');
  });

  it('widens a column to its longest cell plus 3 and counts "…" as one character', () => {
    const t = renderTable([['A', 'B'], ['a-rather-long-cell…', 'x']]);
    expect(t.split('\n')[0]).toBe(`A${' '.repeat(21)}B`);
    expect(t.split('\n')[1]).toBe('a-rather-long-cell…   x');
  });

  const spec = { columns: [{ field: 'ID', header: 'NETWORK ID' }, { field: 'Name', header: 'NAME' }], idField: 'ID' };
  const rows = [{ ID: 'abc', Name: 'n1', Driver: 'bridge' }, { ID: 'def', Name: 'n2', Driver: 'null' }];

  it('-q prints the id field only', () => {
    expect(formatList(rows, spec, { quiet: true })).toBe('abc\ndef\n');
  });

  it('--format json prints one compact object per line', () => {
    expect(formatList(rows, spec, { format: 'json' })).toBe(
      '{"ID":"abc","Name":"n1","Driver":"bridge"}\n{"ID":"def","Name":"n2","Driver":"null"}\n');
  });

  it('--format TEMPLATE renders each row, with literal \\t unescaped', () => {
    expect(formatList(rows, spec, { format: '{{.Name}}\\t{{.Driver}}' })).toBe('n1\tbridge\nn2\tnull\n');
  });

  it("--format 'table ...' builds headers from the fields", () => {
    expect(formatList(rows, spec, { format: 'table {{.Name}}\t{{.Driver}}' })).toBe(
      'NAME      DRIVER\nn1        bridge\nn2        null\n');
  });

  it('inspect output is a 4-space indented array; [] when nothing was found', () => {
    expect(formatInspect([{ Name: 'n', Containers: {}, Config: [{ Subnet: 's' }] }])).toBe(
      '[\n    {\n        "Name": "n",\n        "Containers": {},\n        "Config": [\n' +
      '            {\n                "Subnet": "s"\n            }\n        ]\n    }\n]\n');
    expect(formatInspect([])).toBe('[]\n');
    expect(formatInspect([{ Name: 'a' }, { Name: 'b' }], '{{.Name}}')).toBe('a\nb\n');
  });
});

describe('Go templates', () => {
  const net = {
    Name: 'net1', IPAM: { Config: [{ Subnet: '10.0.0.0/24' }] }, Labels: { env: 'dev', a: '1' },
    Containers: null, NetworkSettings: { Networks: { net1: { IPAddress: '10.0.0.2' } } }, Tag: '<x>&',
  };
  const cases: [string, string][] = [
    ['{{.Name}}', 'net1'],
    ['name={{ .Name }}!', 'name=net1!'],
    ['{{json .IPAM.Config}}', '[{"Subnet":"10.0.0.0/24"}]'],
    ['{{json .Tag}}', '"\\u003cx\\u003e\\u0026"'],
    ['{{.Labels}}', 'map[a:1 env:dev]'],
    ['{{.Missing}}', '<no value>'],
    ['{{.Containers}}', '<nil>'],
    ['{{index .Labels "env"}}', 'dev'],
    ['{{(index .NetworkSettings.Networks "net1").IPAddress}}', '10.0.0.2'],
    ['{{.Name | upper}}', 'NET1'],
    ['{{join (split "a,b" ",") "+"}}', 'a+b'],
    ['{{len .Labels}}', '2'],
    ['a {{- " b " -}} c', 'a b c'],
    ['{{/* note */}}x', 'x'],
  ];
  for (const [tpl, want] of cases) {
    it(`renders ${tpl}`, () => expect(renderTemplate(tpl, net)).toBe(want));
  }
  it('{{json .}} is the whole object', () => {
    expect(JSON.parse(renderTemplate('{{json .}}', { A: 1, B: ['x'] }))).toEqual({ A: 1, B: ['x'] });
  });
  it('refuses constructs it does not implement, with a clear message', () => {
    expect(() => renderTemplate('{{define "x"}}{{end}}', {})).toThrow('"define" is not supported');
    expect(() => renderTemplate('{{nosuch .X}}', {})).toThrow('function "nosuch" not defined');
    expect(() => renderTemplate('{{.X', {})).toThrow('unclosed action');
  });
});

describe('humanised times and statuses', () => {
  const S = 1000, M = 60 * S, H = 60 * M, D = 24 * H;
  const cases: [number, string][] = [
    [500, 'Less than a second'], [S, '1 second'], [5 * S, '5 seconds'], [59 * S, '59 seconds'],
    [60 * S, 'About a minute'], [119 * S, 'About a minute'], [2 * M, '2 minutes'], [59 * M, '59 minutes'],
    [60 * M, 'About an hour'], [89 * M, 'About an hour'], [90 * M, '2 hours'], [47 * H, '47 hours'],
    [48 * H, '2 days'], [13 * D, '13 days'], [14 * D, '2 weeks'], [59 * D, '8 weeks'], [60 * D, '2 months'],
    [729 * D, '24 months'], [731 * D, '2 years'],
  ];
  for (const [ms, want] of cases) it(`HumanDuration(${ms}ms) = ${want}`, () => expect(humanDuration(ms)).toBe(want));

  const now = Date.parse('2026-01-01T12:00:00Z');
  it('CREATED column: "5 seconds ago" from unix seconds', () => {
    expect(runningFor(now / 1000 - 5, now)).toBe('5 seconds ago');
    expect(runningFor(now / 1000 - 3 * 3600, now)).toBe('3 hours ago');
    expect(runningFor(undefined, now)).toBe('');
  });

  it('STATUS like dockerd State.String()', () => {
    expect(stateString({ Running: true, StartedAt: '2026-01-01T11:59:57Z' }, now)).toBe('Up 3 seconds');
    expect(stateString({ Status: 'exited', ExitCode: 0, StartedAt: '2026-01-01T11:00:00Z', FinishedAt: '2026-01-01T11:59:58Z' }, now))
      .toBe('Exited (0) 2 seconds ago');
    expect(stateString({ Status: 'exited', ExitCode: 137, StartedAt: '2026-01-01T10:00:00Z', FinishedAt: '2026-01-01T10:00:00Z' }, now))
      .toBe('Exited (137) 2 hours ago');
    expect(stateString({ Status: 'created', StartedAt: '0001-01-01T00:00:00Z' }, now)).toBe('Created');
    expect(stateString({ Status: 'paused', Running: true, Paused: true, StartedAt: '2026-01-01T11:58:00Z' }, now))
      .toBe('Up 2 minutes (Paused)');
    expect(stateString({ Dead: true, StartedAt: '2026-01-01T11:58:00Z' }, now)).toBe('Dead');
  });

  it('Go time.Time.String() for CreatedAt', () => {
    expect(goTimeString('2024-01-01T00:00:00.000000000Z')).toBe('2024-01-01 00:00:00 +0000 UTC');
    expect(goTimeString('2025-06-01T10:11:12.123456789Z')).toBe('2025-06-01 10:11:12.123456789 +0000 UTC');
    expect(goTimeString(undefined)).toBe('0001-01-01 00:00:00 +0000 UTC');
    expect(goTimeString('0001-01-01T00:00:00Z')).toBe('0001-01-01 00:00:00 +0000 UTC');
  });

  it('COMMAND truncation: 20 characters, the last one "…"', () => {
    expect(ellipsis('sleep 1000', 20)).toBe('sleep 1000');
    expect(ellipsis('/bin/sh -c while true; do sleep 1; done', 20)).toBe('/bin/sh -c while tr…');
    expect([...ellipsis('/bin/sh -c while true; do sleep 1; done', 20)]).toHaveLength(20);
  });
});

describe('PORTS column (DisplayablePorts)', () => {
  it('renders a published port, IPv6 in brackets, an unpublished one', () => {
    expect(displayablePorts([{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }])).toBe('0.0.0.0:8080->80/tcp');
    expect(displayablePorts([
      { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    ])).toBe('0.0.0.0:8080->80/tcp, [::]:8080->80/tcp');
    expect(displayablePorts([{ PrivatePort: 9000, Type: 'tcp' }])).toBe('9000/tcp');
    expect(displayablePorts(null)).toBe('');
  });
  it('collapses consecutive same-number mappings and bare ports into ranges', () => {
    const ports = [8000, 8001, 8002].map((p) => ({ IP: '0.0.0.0', PrivatePort: p, PublicPort: p, Type: 'tcp' }));
    expect(displayablePorts(ports)).toBe('0.0.0.0:8000-8002->8000-8002/tcp');
    expect(displayablePorts([{ PrivatePort: 81, Type: 'udp' }, { PrivatePort: 80, Type: 'udp' }, { PrivatePort: 83, Type: 'udp' }]))
      .toBe('80-81/udp, 83/udp');
  });
});

describe('network create IPAM pairing (by containment, like docker)', () => {
  it('pairs gateways, ranges and aux addresses with the subnet that contains them, whatever the flag order', () => {
    expect(consolidateIpam(
      ['10.10.0.0/16', 'fd00:1::/64'],
      ['10.10.1.0/24'],
      ['fd00:1::1', '10.10.0.1'],
      { host1: '10.10.0.5', v6host: 'fd00:1::5' },
    )).toEqual([
      { Subnet: '10.10.0.0/16', IPRange: '10.10.1.0/24', Gateway: '10.10.0.1', AuxiliaryAddresses: { host1: '10.10.0.5' } },
      { Subnet: 'fd00:1::/64', Gateway: 'fd00:1::1', AuxiliaryAddresses: { v6host: 'fd00:1::5' } },
    ]);
  });
  it('sends a lone subnet unchecked (the daemon validates it), like docker', () => {
    expect(consolidateIpam(['nonsense'], [], [], {})).toEqual([{ Subnet: 'nonsense' }]);
  });
  const bad: [string[], string[], string[], Record<string, string>, string][] = [
    [[], [], ['10.0.0.1'], {}, 'every ip-range or gateway must have a corresponding subnet'],
    [['10.0.0.0/24'], [], ['10.1.0.1'], {}, 'no matching subnet for gateway 10.1.0.1'],
    [['10.0.0.0/24'], [], [], { h: '1.2.3.4' }, 'no matching subnet for aux-address 1.2.3.4'],
    [['10.0.0.0/16', '10.0.1.0/24'], [], [], {}, 'multiple overlapping subnet configuration is not supported'],
    [['10.0.0.0/16', '10.1.0.0/16'], ['10.0.1.0/24', '10.0.2.0/24'], [], {},
      'cannot configure multiple ranges (10.0.2.0/24, 10.0.1.0/24) on the same subnet (10.0.0.0/16)'],
    [['nonsense'], [], ['10.0.0.1'], {}, 'invalid subnet: invalid CIDR address: nonsense'],
  ];
  for (const [s, r, g, a, msg] of bad) {
    it(`refuses: ${msg}`, () => expect(() => consolidateIpam(s, r, g, a)).toThrow(msg));
  }
  it('rewrites --flag=false for commander', () => {
    expect(normalizeBoolFlags(['--ipv6=false', '--ipv4=true', '--internal=0', '--label=x=false', 'n']))
      .toEqual(['--no-ipv6', '--ipv4', '--no-internal', '--label=x=false', 'n']);
  });
});

describe('run networking (parseNetworkOpts)', () => {
  it('no --network: NetworkMode "default" with a "default" endpoint entry, like docker', () => {
    const { networkMode, endpoints } = networkConfig({ network: [], networkAlias: [] });
    expect(networkMode).toBe('default');
    expect(Object.keys(endpoints)).toEqual(['default']);
    expect(endpoints.default).toMatchObject({ IPAMConfig: null, Aliases: null, DriverOpts: null, Links: null });
    expect(networkConfig({ network: [], ip: '172.17.0.9', networkAlias: [] }).endpoints.default)
      .toMatchObject({ IPAMConfig: { IPv4Address: '172.17.0.9' } });
  });
  it('one --network without endpoint options: EndpointsConfig is {} (the daemon attaches NetworkMode)', () => {
    expect(networkConfig({ network: ['net1'], networkAlias: [] })).toEqual({ networkMode: 'net1', endpoints: {} });
  });
  it('refuses aliases on the default/host/none networks, as docker does', () => {
    expect(() => networkConfig({ network: [], networkAlias: ['x'] }))
      .toThrow('network-scoped aliases are only supported for user-defined networks');
    expect(() => networkConfig({ network: ['host'], networkAlias: ['x'] }))
      .toThrow('network-scoped aliases are only supported for user-defined networks');
    expect(() => networkConfig({ network: ['name=n1,alias=a'], networkAlias: ['b'] }))
      .toThrow('conflicting options: cannot specify both --network-alias and per-network alias');
  });
  it('legacy --ip/--network-alias apply to the first network; every network gets an entry', () => {
    const { networkMode, endpoints } = networkConfig({ network: ['net1', 'net2'], ip: '10.0.0.5', ip6: 'fd00::5', networkAlias: ['web'] });
    expect(networkMode).toBe('net1');
    expect(endpoints.net1).toMatchObject({ IPAMConfig: { IPv4Address: '10.0.0.5', IPv6Address: 'fd00::5' }, Aliases: ['web'] });
    expect(endpoints.net2).toMatchObject({ IPAMConfig: null, Aliases: null });
  });
  it('accepts the advanced --network syntax', () => {
    const { endpoints } = networkConfig({ network: ['name=n1,alias=a,alias=b,ip=10.1.0.9'], networkAlias: [] });
    expect(endpoints.n1).toMatchObject({ IPAMConfig: { IPv4Address: '10.1.0.9' }, Aliases: ['a', 'b'] });
  });
  it('refuses duplicates and mixing host/none with user networks', () => {
    expect(() => networkConfig({ network: ['a', 'a'], networkAlias: [] })).toThrow('network "a" is specified multiple times');
    expect(() => networkConfig({ network: ['host', 'a'], networkAlias: [] }))
      .toThrow('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  });
  it('-e KEY takes the value from the client environment when set', () => {
    expect(resolveEnv(['A=1', 'HOME', 'UNSET'], { HOME: '/root' })).toEqual(['A=1', 'HOME=/root', 'UNSET']);
    expect(() => resolveEnv(['=x'], {})).toThrow('invalid environment variable: =x');
  });
  it('--since accepts durations, unix seconds and RFC 3339', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(parseTimestamp('1h30m', now)).toBe(String(now / 1000 - 5400));
    expect(parseTimestamp('1700000000', now)).toBe('1700000000');
    expect(parseTimestamp('2026-01-01T00:00:00Z', now)).toBe(String(Date.parse('2026-01-01T00:00:00Z') / 1000));
  });
});

describe('client encoding', () => {
  it('encodes queries like Go url.Values (sorted, false/empty dropped)', () => {
    expect(encodeQuery({ tail: 'all', stdout: true, stderr: true, follow: false, since: undefined })).toBe('?stderr=1&stdout=1&tail=all');
    expect(encodeQuery({})).toBe('');
  });
  it('encodes filters as {"key":{"value":true}}', () => {
    expect(JSON.parse(encodeFilters(['driver=bridge', 'label=env=dev', 'label=team', 'Name=net'])!)).toEqual({
      driver: { bridge: true }, label: { 'env=dev': true, team: true }, name: { net: true },
    });
    expect(encodeFilters([])).toBeUndefined();
    expect(() => encodeFilters(['nokey'])).toThrow('bad format of filter');
  });
  it('renders error bodies exactly as the docker CLI does', () => {
    const url = 'http://%2Frun%2Fweft%2Fweft.sock/v1.50/networks/x1';
    expect(errorMessage(404, 'application/json', Buffer.from('{"message":"network x1 not found"}\n'), url)).toBe('network x1 not found');
    expect(errorMessage(404, 'application/json; charset=utf-8', Buffer.from('{"message": "network x1 not found"}'), url))
      .toBe('{"message": "network x1 not found"}');
    expect(errorMessage(404, 'text/plain', Buffer.from('network x1 not found\n'), url)).toBe('network x1 not found');
    expect(errorMessage(404, 'application/json', Buffer.from('{"error":"nope"}'), url))
      .toBe('API returned a 404 (Not Found) but provided no error-message');
    expect(errorMessage(404, undefined, Buffer.alloc(0), url))
      .toBe(`request returned 404 Not Found for API route and version ${url}, check if the server supports the requested API version`);
    expect(errorMessage(404, 'application/json', Buffer.from('not json {'), url)).toMatch(/^Error reading JSON: /);
  });
  it('parses -H forms', () => {
    expect(parseHost('unix:///run/weft/weft.sock')).toMatchObject({ kind: 'unix', socketPath: '/run/weft/weft.sock' });
    expect(parseHost('/tmp/x.sock')).toMatchObject({ kind: 'unix', socketPath: '/tmp/x.sock' });
    expect(parseHost('tcp://127.0.0.1:2375')).toMatchObject({ kind: 'tcp', hostname: '127.0.0.1', port: 2375 });
    expect(() => parseHost('ssh://x')).toThrow('invalid host');
  });
  it('natural sort orders digit runs numerically', () => {
    expect(['net10', 'net2', 'bridge', 'net1', 'none', 'host'].sort(naturalCompare))
      .toEqual(['bridge', 'host', 'net1', 'net2', 'net10', 'none']);
  });
});
