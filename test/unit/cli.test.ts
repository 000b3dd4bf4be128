/**
 * The `weft` CLI driven in-process (main(argv, io)) against a tiny fake engine on a unix
 * socket that records every request: request bodies/queries, output, and exit codes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { PassThrough, Writable } from 'node:stream';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../src/cli/main.js';
import { encodeFrame } from '../../src/cli/stdcopy.js';

// ---------------------------------------------------------------------------------------
// Fake engine

interface Recorded {
  method: string;
  /** Path without the /v1.50 prefix and without the query. */
  path: string;
  version: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
  json?: unknown;
}

type Handler = (req: Recorded, res: http.ServerResponse) => void | Promise<void>;
type UpgradeHandler = (req: Recorded, socket: Duplex) => void;

class FakeEngine {
  requests: Recorded[] = [];
  private routes: { method: string; re: RegExp; fn: Handler }[] = [];
  private upgrades: { re: RegExp; fn: UpgradeHandler }[] = [];
  private server = http.createServer();
  private sockets = new Set<Duplex>();

  constructor(readonly socketPath: string) {
    this.server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    this.server.on('request', (req, res) => {
      void this.record(req).then(async (r) => {
        const route = this.routes.find((x) => x.method === r.method && x.re.test(r.path));
        if (!route) return sendError(res, 404, `page not found: ${r.method} ${r.path}`);
        await route.fn(r, res);
      });
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const r = this.parse(req, head.toString('utf8'));
      this.requests.push(r);
      const route = this.upgrades.find((x) => x.re.test(r.path));
      if (!route) {
        const body = JSON.stringify({ message: `page not found: ${r.path}` });
        socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        return;
      }
      route.fn(r, socket);
    });
  }

  private parse(req: http.IncomingMessage, body: string): Recorded {
    const url = new URL(req.url ?? '/', 'http://weft');
    const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(url.pathname);
    let json: unknown;
    try { json = body ? JSON.parse(body) : undefined; } catch { json = undefined; }
    return {
      method: req.method ?? '',
      path: m ? m[2]! : url.pathname,
      version: m ? m[1]! : '',
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      json,
    };
  }

  private async record(req: http.IncomingMessage): Promise<Recorded> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const r = this.parse(req, Buffer.concat(chunks).toString('utf8'));
    this.requests.push(r);
    return r;
  }

  on(method: string, re: RegExp, fn: Handler): this {
    this.routes.unshift({ method, re, fn });
    return this;
  }

  onUpgrade(re: RegExp, fn: UpgradeHandler): this {
    this.upgrades.unshift({ re, fn });
    return this;
  }

  reset(): void {
    this.requests = [];
    this.routes = [];
    this.upgrades = [];
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Api-Version': '1.50' });
  res.end(body === undefined ? '' : `${JSON.stringify(body)}\n`);
}

function sendError(res: http.ServerResponse, status: number, message: string): void {
  sendJson(res, status, { message });
}

/** The long-poll wait as dockerd answers it: headers flushed at once, the body when the container exits. */
function holdWait(_r: Recorded, res: http.ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
}

/** A 101 answer with multiplexed frames, then close (what dockerd does for attach/exec). */
function upgradeWith(socket: Duplex, frames: Buffer[], delayMs = 0): void {
  socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  setTimeout(() => {
    for (const f of frames) socket.write(f);
    socket.end();
  }, delayMs);
}

// ---------------------------------------------------------------------------------------
// Running the CLI

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

const NOW = Date.parse('2026-11-22T12:18:17Z');
let dir: string;
let engine: FakeEngine;
let host: string;

async function cli(args: string[], io: Partial<CliIO> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Sink(), stderr = new Sink();
  const code = await main(['-H', host, ...args], {
    stdout, stderr, env: {}, now: () => NOW, stdin: new PassThrough(), stdinIsTTY: false,
    onSignal: () => () => undefined, ...io,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'weft-cli-'));
  engine = new FakeEngine(path.join(dir, 'engine.sock'));
  host = `unix://${engine.socketPath}`;
  await engine.listen();
});
afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => engine.reset());
afterEach(() => engine.reset());

const ID = '529b382bce336252a8260c27347ce0967012c9bf96967d6f333ba07af437aee3';
/** The docker CLI 28's create body for `docker run -d --name web --network net1 -p 8080:80 alpine sleep 1000`. */
const CAPTURED_RUN_BODY = readFileSync(new URL('../fixtures/docker-run-body.json', import.meta.url), 'utf8').trim();
const CID = '52f7137e0f43eb917f868a6f37d617295746efb13ac1bc3522e06eb8a24051f4';

// The networks of the docker capture (transcript-28.2.2.txt), as GET /networks returned them.
const NETWORKS = [
  { Name: 'bridge', Id: '17f29b073143d8cd97b5bbe492bdeffec1c5fee55cc1fe2112c8b9335f8b6121', Created: '2024-01-01T00:00:00.000000000Z', Scope: 'local', Driver: 'bridge', EnableIPv4: true, EnableIPv6: false, Internal: false, Labels: {} },
  { Name: 'net2', Id: '3837500c98ccd3e3b9e74851d5b19b50f521574a53425b010ab9f0c65747a7fb', Created: '2026-11-22T12:18:09.000000000Z', Scope: 'local', Driver: 'bridge', EnableIPv4: true, EnableIPv6: false, Internal: false, Labels: {} },
  { Name: 'none', Id: '140bedbf9c3f8a5a1ba1e0b1ae3e2c9f8d4a4c0b6fd1d36e0dbbd2c1ac02d2f5', Created: '2024-01-01T00:00:00.000000000Z', Scope: 'local', Driver: 'null', EnableIPv4: false, EnableIPv6: false, Internal: false, Labels: {} },
  { Name: 'net1', Id: ID, Created: '2026-11-22T12:18:09.000000000Z', Scope: 'local', Driver: 'bridge', EnableIPv4: true, EnableIPv6: true, Internal: true, Labels: { env: 'dev' } },
  { Name: 'host', Id: '4740ae6347b0d2a0b4b0d4d0f1e0ac4c5bb2fd8c7e3e1f0a9b8c7d6e5f4a3b2c', Created: '2024-01-01T00:00:00.000000000Z', Scope: 'local', Driver: 'host', EnableIPv4: false, EnableIPv6: false, Internal: false, Labels: {} },
];

// ---------------------------------------------------------------------------------------

describe('network create', () => {
  it('sends the body docker sends for every flag, and prints the id', async () => {
    engine.on('POST', /^\/networks\/create$/, (_r, res) => sendJson(res, 201, { Id: ID, Warning: '' }));
    const r = await cli([
      'network', 'create', '--driver', 'bridge', '--subnet', '10.10.0.0/16', '--gateway', '10.10.0.1',
      '--ip-range', '10.10.1.0/24', '--aux-address', 'host1=10.10.0.5', '--aux-address', 'router=10.10.0.6',
      '--ipv6', '--subnet', 'fd00:1::/64', '--gateway', 'fd00:1::1', '--internal', '--attachable',
      '--label', 'env=dev', '--label', 'team=x', '--label', 'flagonly',
      '-o', 'com.docker.network.bridge.name=br-net1', '-o', 'com.docker.network.driver.mtu=1400',
      '--ipam-driver', 'default', '--ipam-opt', 'foo=bar', 'net1',
    ]);
    expect(r).toEqual({ code: 0, stdout: `${ID}\n`, stderr: '' });
    expect(engine.calls()).toEqual(['POST /networks/create']);
    const req = engine.requests[0]!;
    expect(req.version).toBe('1.50');
    expect(req.headers['content-type']).toBe('application/json');
    // Byte-for-byte the captured docker 28.2.2 body (IPAM.Config in --subnet order; docker's is random).
    expect(req.body).toBe(JSON.stringify({
      Driver: 'bridge', Scope: '', EnableIPv6: true,
      IPAM: {
        Driver: 'default', Options: { foo: 'bar' },
        Config: [
          { Subnet: '10.10.0.0/16', IPRange: '10.10.1.0/24', Gateway: '10.10.0.1', AuxiliaryAddresses: { host1: '10.10.0.5', router: '10.10.0.6' } },
          { Subnet: 'fd00:1::/64', Gateway: 'fd00:1::1' },
        ],
      },
      Internal: true, Attachable: true, Ingress: false, ConfigOnly: false, ConfigFrom: null,
      Options: { 'com.docker.network.bridge.name': 'br-net1', 'com.docker.network.driver.mtu': '1400' },
      Labels: { env: 'dev', team: 'x', flagonly: '' }, Name: 'net1',
    }));
  });

  it('sends the minimal body of `docker network create net2`', async () => {
    engine.on('POST', /^\/networks\/create$/, (_r, res) => sendJson(res, 201, { Id: ID, Warning: '' }));
    await cli(['network', 'create', 'net2']);
    expect(engine.requests[0]!.body).toBe(
      '{"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},"Name":"net2"}');
  });

  it('accepts docker-style --ipv6=false / --ipv4=false and -d', async () => {
    engine.on('POST', /^\/networks\/create$/, (_r, res) => sendJson(res, 201, { Id: ID }));
    await cli(['network', 'create', '-d', 'overlay', '--ipv4=false', '--ipv6=false', 'n']);
    expect(engine.requests[0]!.json).toMatchObject({ Driver: 'overlay', EnableIPv4: false, EnableIPv6: false, Name: 'n' });
  });

  it('validates gateway/subnet pairing client-side and sends nothing', async () => {
    const r = await cli(['network', 'create', '--subnet', '10.0.0.0/24', '--gateway', '10.1.0.1', 'n']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('no matching subnet for gateway 10.1.0.1\n');
    expect(engine.requests).toHaveLength(0);
  });

  it('prints the daemon error and exits 1 (409 duplicate)', async () => {
    engine.on('POST', /^\/networks\/create$/, (_r, res) => sendError(res, 409, 'network with name net2 already exists'));
    const r = await cli(['network', 'create', 'net2']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: network with name net2 already exists\n' });
  });

  it('usage error for a missing name: commander message, exit 1, no request', async () => {
    const r = await cli(['network', 'create']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: missing required argument 'name'");
    expect(r.stderr).toContain("See 'weft network create --help'.");
    expect(engine.requests).toHaveLength(0);
  });
});

describe('network ls / inspect / rm / connect / disconnect / prune', () => {
  beforeEach(() => {
    engine.on('GET', /^\/networks$/, (_r, res) => sendJson(res, 200, NETWORKS));
  });

  it('ls prints the docker table, sorted by name, ids cut to 12', async () => {
    const r = await cli(['network', 'ls']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'NETWORK ID     NAME      DRIVER    SCOPE\n' +
      '17f29b073143   bridge    bridge    local\n' +
      '4740ae6347b0   host      host      local\n' +
      '529b382bce33   net1      bridge    local\n' +
      '3837500c98cc   net2      bridge    local\n' +
      '140bedbf9c3f   none      null      local\n');
    expect(engine.requests[0]!.query).toEqual({});
  });

  it('ls -f sends docker filters, -q prints ids, --no-trunc full ids', async () => {
    const r = await cli(['network', 'ls', '-f', 'driver=bridge', '--filter', 'label=env=dev', '-q', '--no-trunc']);
    expect(JSON.parse(engine.requests[0]!.query.filters!)).toEqual({ driver: { bridge: true }, label: { 'env=dev': true } });
    expect(r.stdout.split('\n')[0]).toBe(NETWORKS[0]!.Id);
    expect(r.stdout.trim().split('\n')).toHaveLength(5);
  });

  it('ls --format json matches docker line for line', async () => {
    const r = await cli(['network', 'ls', '--format', 'json']);
    expect(r.stdout.split('\n')[2]).toBe(
      '{"CreatedAt":"2026-11-22 12:18:09 +0000 UTC","Driver":"bridge","ID":"529b382bce33","IPv4":"true","IPv6":"true","Internal":"true","Labels":"env=dev","Name":"net1","Scope":"local"}');
    const r2 = await cli(['network', 'ls', '--format', '{{.Name}}:{{.Driver}}']);
    expect(r2.stdout).toBe('bridge:bridge\nhost:host\nnet1:bridge\nnet2:bridge\nnone:null\n');
  });

  it('inspect prints a 4-space indented array, keeps key order, reports misses after it', async () => {
    engine.on('GET', /^\/networks\/net1$/, (_r, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"Name":"net1","Id":"abc","XExtra":1,"Containers":{}}');
    });
    engine.on('GET', /^\/networks\/nosuch$/, (_r, res) => sendError(res, 404, 'network nosuch not found'));
    const r = await cli(['network', 'inspect', 'net1', 'nosuch']);
    expect(r.stdout).toBe('[\n    {\n        "Name": "net1",\n        "Id": "abc",\n        "XExtra": 1,\n        "Containers": {}\n    }\n]\n');
    expect(r.stderr).toBe('Error response from daemon: network nosuch not found\n');
    expect(r.code).toBe(1);
    const miss = await cli(['network', 'inspect', 'nosuch']);
    expect(miss.stdout).toBe('[]\n');
    const fmt = await cli(['network', 'inspect', '-f', '{{.Name}} {{json .Containers}}', 'net1']);
    expect(fmt.stdout).toBe('net1 {}\n');
  });

  it('rm prints each name as typed, reports failures, exits 1; -f ignores 404', async () => {
    engine.on('DELETE', /^\/networks\/(net1|net2)$/, (_r, res) => { res.writeHead(204); res.end(); });
    engine.on('DELETE', /^\/networks\/bridge$/, (_r, res) => sendError(res, 403, 'bridge is a pre-defined network and cannot be removed'));
    engine.on('DELETE', /^\/networks\/gone$/, (_r, res) => sendError(res, 404, 'network gone not found'));
    const r = await cli(['network', 'rm', 'net1', 'bridge', 'net2']);
    expect(r.stdout).toBe('net1\nnet2\n');
    expect(r.stderr).toBe('Error response from daemon: bridge is a pre-defined network and cannot be removed\n');
    expect(r.code).toBe(1);
    expect(engine.calls()).toEqual(['DELETE /networks/net1', 'DELETE /networks/bridge', 'DELETE /networks/net2']);
    const f = await cli(['network', 'remove', '-f', 'gone', 'net1']);
    expect(f).toEqual({ code: 0, stdout: 'net1\n', stderr: '' });
  });

  it('connect and disconnect send docker bodies', async () => {
    engine.on('POST', /^\/networks\/net2\/(connect|disconnect)$/, (_r, res) => { res.writeHead(200); res.end(); });
    const c = await cli(['network', 'connect', '--ip', '172.31.0.50', '--alias', 'db', '--alias', 'database', 'net2', 'web']);
    expect(c).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(engine.requests[0]!.body).toBe(
      '{"Container":"web","EndpointConfig":{"IPAMConfig":{"IPv4Address":"172.31.0.50"},"Links":null,"Aliases":["db","database"],"MacAddress":"","DriverOpts":{},"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}');
    await cli(['network', 'disconnect', '-f', 'net2', 'web']);
    expect(engine.requests[1]!.json).toEqual({ Container: 'web', Force: true });
    await cli(['network', 'disconnect', 'net2', 'web']);
    expect(engine.requests[2]!.json).toEqual({ Container: 'web', Force: false });
  });

  it('prune -f lists deleted networks; nothing deleted prints nothing', async () => {
    let deleted: string[] = ['net0', 'net1'];
    engine.on('POST', /^\/networks\/prune$/, (_r, res) => sendJson(res, 200, { NetworksDeleted: deleted }));
    const r = await cli(['network', 'prune', '-f', '--filter', 'label=env=dev']);
    expect(r).toEqual({ code: 0, stdout: 'Deleted Networks:\nnet0\nnet1\n\n', stderr: '' });
    expect(JSON.parse(engine.requests[0]!.query.filters!)).toEqual({ label: { 'env=dev': true } });
    expect(engine.requests[0]!.headers['content-length']).toBe('0');
    deleted = [];
    expect((await cli(['network', 'prune', '-f'])).stdout).toBe('');
  });

  it('prune without -f: aborts without a request when stdin is not a terminal', async () => {
    const r = await cli(['network', 'prune']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('WARNING! This will remove all custom networks not used by at least one container.');
    expect(r.stderr).toContain('use -f');
    expect(engine.requests).toHaveLength(0);
  });

  it('prune without -f on a terminal: asks, and proceeds on "y" only', async () => {
    engine.on('POST', /^\/networks\/prune$/, (_r, res) => sendJson(res, 200, { NetworksDeleted: ['x'] }));
    const no = new PassThrough();
    no.end('n\n');
    expect((await cli(['network', 'prune'], { stdin: no, stdinIsTTY: true })).code).toBe(0);
    expect(engine.requests).toHaveLength(0);
    const yes = new PassThrough();
    yes.end('y\n');
    const r = await cli(['network', 'prune'], { stdin: yes, stdinIsTTY: true });
    expect(r.stdout).toContain('Are you sure you want to continue? [y/N] Deleted Networks:\nx\n');
    expect(engine.calls()).toEqual(['POST /networks/prune']);
  });
});

describe('run / create', () => {
  const created = (res: http.ServerResponse) => sendJson(res, 201, { Id: CID, Warnings: [] });
  const noContent = (_r: Recorded, res: http.ServerResponse) => { res.writeHead(204); res.end(); };

  it('run -d: the captured docker create body byte for byte, wait before start, print the id', async () => {
    engine.on('POST', /^\/containers\/create$/, (_r, res) => created(res));
    engine.on('POST', /\/wait$/, holdWait);
    engine.on('POST', /\/start$/, noContent);
    const r = await cli(['run', '-d', '--name', 'web', '--network', 'net1', '-p', '8080:80', 'alpine', 'sleep', '1000']);
    expect(r).toEqual({ code: 0, stdout: `${CID}\n`, stderr: '' });
    expect(engine.calls()).toEqual(['POST /containers/create', `POST /containers/${CID}/wait`, `POST /containers/${CID}/start`]);
    expect(engine.requests[0]!.query).toEqual({ name: 'web' });
    expect(engine.requests[1]!.query).toEqual({ condition: 'next-exit' });
    // docker-cli-captures/create-body-run-d-web-net1-p8080.json (docker 28.2.2), compacted.
    expect(engine.requests[0]!.body).toBe(CAPTURED_RUN_BODY);
  });

  it('run -d with -e/-w/-h/-l/--restart fills the matching fields', async () => {
    engine.on('POST', /^\/containers\/create$/, (_r, res) => created(res));
    engine.on('POST', /\/wait$/, holdWait);
    engine.on('POST', /\/start$/, noContent);
    await cli(['run', '-d', '-e', 'A=1', '-e', 'HOME', '-w', '/srv', '-h', 'box', '-l', 'app=x', '--restart', 'on-failure:3', 'alpine'],
      { env: { HOME: '/root' } });
    expect(engine.requests[0]!.json).toMatchObject({
      Hostname: 'box', Env: ['A=1', 'HOME=/root'], WorkingDir: '/srv', Labels: { app: 'x' }, Cmd: null,
      HostConfig: { NetworkMode: 'default', RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } },
    });
  });

  it('publishes every -p form and sends endpoint settings for every network', async () => {
    engine.on('POST', /^\/containers\/create$/, (_r, res) => created(res));
    engine.on('POST', /\/wait$/, holdWait);
    engine.on('POST', /\/start$/, noContent);
    await cli(['run', '-d', '--network', 'a', '--network', 'b', '--ip', '10.0.0.9', '--ip6', 'fd00::9',
      '--network-alias', 'web', '-P', '--rm',
      '-p', '8080:80', '-p', '127.0.0.1:8081:81', '-p', '[::1]:8082:82', '-p', '53:53/udp', '-p', '9000',
      '-p', '127.0.0.1::83', '-p', '8000-8001:90-91', 'img']);
    const body = engine.requests[0]!.json as { HostConfig: Record<string, unknown>; NetworkingConfig: unknown; Cmd: unknown; ExposedPorts: object };
    expect(body.Cmd).toBeNull();
    expect(body.HostConfig.AutoRemove).toBe(true);
    expect(body.HostConfig.PublishAllPorts).toBe(true);
    expect(body.HostConfig.NetworkMode).toBe('a');
    expect(body.HostConfig.PortBindings).toEqual({
      '80/tcp': [{ HostIp: '', HostPort: '8080' }],
      '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '8081' }],
      '82/tcp': [{ HostIp: '::1', HostPort: '8082' }],
      '53/udp': [{ HostIp: '', HostPort: '53' }],
      '9000/tcp': [{ HostIp: '', HostPort: '' }],
      '83/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '90/tcp': [{ HostIp: '', HostPort: '8000' }],
      '91/tcp': [{ HostIp: '', HostPort: '8001' }],
    });
    expect(Object.keys(body.ExposedPorts).sort()).toEqual(['53/udp', '80/tcp', '81/tcp', '82/tcp', '83/tcp', '90/tcp', '9000/tcp', '91/tcp']);
    expect(body.NetworkingConfig).toMatchObject({
      EndpointsConfig: {
        a: { IPAMConfig: { IPv4Address: '10.0.0.9', IPv6Address: 'fd00::9' }, Aliases: ['web'] },
        b: { IPAMConfig: null, Aliases: null },
      },
    });
  });

  it('--rootfs: Image is the absolute dir, words after it are CMD, options after it belong to CMD', async () => {
    engine.on('POST', /^\/containers\/create$/, (_r, res) => created(res));
    engine.on('POST', /\/wait$/, holdWait);
    engine.on('POST', /\/start$/, noContent);
    const r = await cli(['run', '-d', '--rootfs', 'rootfs/busybox', 'sh', '-c', 'echo -p -d', '-d', '--rm']);
    expect(r.code).toBe(0);
    const body = engine.requests[0]!.json as { Image: string; Cmd: string[]; HostConfig: { AutoRemove: boolean; NetworkMode: string } };
    expect(body.Image).toBe(path.resolve('rootfs/busybox'));
    expect(body.Cmd).toEqual(['sh', '-c', 'echo -p -d', '-d', '--rm']);
    expect(body.HostConfig.AutoRemove).toBe(false);
    expect(body.HostConfig.NetworkMode).toBe('default');
  });

  it('foreground run: attach, wait (next-exit) before start, demuxed output, container exit code', async () => {
    engine.on('POST', /^\/containers\/create$/, (_r, res) => created(res));
    let started = false;
    let finishWait: (code: number) => void = () => undefined;
    engine.onUpgrade(/\/attach$/, (_r, socket) => {
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      const poll = setInterval(() => {
        if (!started) return;
        clearInterval(poll);
        socket.write(Buffer.concat([encodeFrame(1, 'hello from stdout\n'), encodeFrame(2, 'hello from stderr\n')]));
        socket.end();
        finishWait(7);
      }, 5);
    });
    engine.on('POST', /\/wait$/, (_r, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      finishWait = (code) => res.end(`${JSON.stringify({ StatusCode: code, Error: null })}\n`);
    });
    engine.on('POST', /\/start$/, (_r, res) => { started = true; res.writeHead(204); res.end(); });
    const r = await cli(['run', '--rm', 'alpine', 'sh', '-c', 'exit 7']);
    expect(r).toEqual({ code: 7, stdout: 'hello from stdout\n', stderr: 'hello from stderr\n' });
    expect(engine.calls()).toEqual(['POST /containers/create', `POST /containers/${CID}/attach`, `POST /containers/${CID}/wait`, `POST /containers/${CID}/start`]);
    const attach = engine.requests[1]!;
    expect(attach.query).toEqual({ stderr: '1', stdout: '1', stream: '1' });
    expect(attach.headers.upgrade).toBe('tcp');
    expect(engine.requests[2]!.query).toEqual({ condition: 'removed' });
    expect(engine.requests[0]!.json).toMatchObject({ AttachStdout: true, AttachStderr: true, HostConfig: { AutoRemove: true } });
  });

  it('foreground run forwards signals as kill requests and uninstalls the handler', async () => {
    let handler: ((sig: NodeJS.Signals) => void) | undefined;
    let uninstalled = false;
    let finish: () => void = () => undefined;
    engine.on('POST', /^\/containers\/create$/, (_r, res) => created(res));
    engine.onUpgrade(/\/attach$/, (_r, socket) => {
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      const prev = finish;
      finish = () => { prev(); socket.end(); };
    });
    engine.on('POST', /\/wait$/, (_r, res) => {
      holdWait(_r, res);
      const prev = finish;
      finish = () => { prev(); res.end('{"StatusCode":130,"Error":null}\n'); };
    });
    engine.on('POST', /\/start$/, (_r, res) => {
      res.writeHead(204);
      res.end();
      setTimeout(() => handler?.('SIGINT'), 10);
    });
    engine.on('POST', /\/kill$/, (_r, res) => { res.writeHead(204); res.end(); finish(); });
    const r = await cli(['run', 'alpine', 'sleep', '100'], {
      onSignal: (h) => { handler = h; return () => { uninstalled = true; }; },
    });
    expect(r.code).toBe(130);
    expect(engine.requests.find((q) => q.path.endsWith('/kill'))!.query).toEqual({ signal: 'INT' });
    expect(uninstalled).toBe(true);
  });

  it('foreground run without attach support falls back to logs -f', async () => {
    engine.on('POST', /^\/containers\/create$/, (_r, res) => created(res));
    engine.on('POST', /\/wait$/, (_r, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      setTimeout(() => res.end('{"StatusCode":0,"Error":null}\n'), 20);
    });
    engine.on('POST', /\/start$/, noContent);
    engine.on('GET', /\/logs$/, (_r, res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
      res.end(encodeFrame(1, 'via logs\n'));
    });
    const r = await cli(['run', 'alpine', 'echo', 'via logs']);
    expect(r).toEqual({ code: 0, stdout: 'via logs\n', stderr: '' });
    expect(engine.requests.find((q) => q.path.endsWith('/logs'))!.query).toEqual({ follow: '1', stderr: '1', stdout: '1' });
    expect(engine.requests.find((q) => q.path.endsWith('/wait'))!.query).toEqual({ condition: 'next-exit' });
  });

  it('exits 125 with docker wording when the daemon refuses create or start', async () => {
    engine.on('POST', /^\/containers\/create$/, (_r, res) => sendError(res, 404, 'No such image: nosuch:latest'));
    const r = await cli(['run', '-d', 'nosuch']);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe("weft: Error response from daemon: No such image: nosuch:latest\n\nRun 'weft run --help' for more information\n");

    engine.reset();
    engine.on('POST', /^\/containers\/create$/, (_r, res) => created(res));
    engine.on('POST', /\/wait$/, holdWait);
    engine.on('POST', /\/start$/, (_r, res) => sendError(res, 500, 'Bind for 0.0.0.0:8080 failed: port is already allocated'));
    const s = await cli(['run', '-d', '-p', '8080:80', 'alpine']);
    expect(s.code).toBe(125);
    expect(s.stderr).toContain('Error response from daemon: Bind for 0.0.0.0:8080 failed: port is already allocated');

    const c = await cli(['create', 'img']);
    expect(c).toMatchObject({ code: 0, stdout: `${CID}\n` });
    expect(engine.calls().at(-1)).toBe('POST /containers/create');
  });

  it('exits 125 for a bad -p or an unknown flag, without sending anything', async () => {
    const p = await cli(['run', '-p', '8080:80/icmp', 'alpine']);
    expect(p.code).toBe(125);
    expect(p.stderr).toContain('invalid proto: icmp');
    const f = await cli(['run', '--bogus', 'alpine']);
    expect(f.code).toBe(125);
    expect(f.stderr).toContain("unknown option '--bogus'");
    expect(engine.requests).toHaveLength(0);
  });

  it('a missing IMAGE is an argument error (exit 1, as docker), unless --rootfs is given', async () => {
    const none = await cli(['create']);
    expect(none).toEqual({ code: 1, stdout: '', stderr: "weft: 'weft create' requires at least 1 argument\n\nSee 'weft create --help' for more information\n" });
    expect(engine.requests).toHaveLength(0);
    engine.on('POST', /^\/containers\/create$/, (_r, res) => created(res));
    const rootfs = await cli(['create', '--rootfs', '/srv/rootfs']);
    expect(rootfs.code).toBe(0);
    expect(engine.requests[0]!.json).toMatchObject({ Image: '/srv/rootfs', Cmd: null, AttachStdout: true, AttachStderr: true });
  });

  it('prints create warnings on stderr', async () => {
    engine.on('POST', /^\/containers\/create$/, (_r, res) => sendJson(res, 201, { Id: CID, Warnings: ['careful'] }));
    const r = await cli(['create', 'img']);
    expect(r.stderr).toBe('WARNING: careful\n');
  });
});

describe('container commands', () => {
  const noContent = (_r: Recorded, res: http.ServerResponse) => { res.writeHead(204); res.end(); };

  it('ps renders the docker table from the captured ContainerSummary', async () => {
    engine.on('GET', /^\/containers\/json$/, (_r, res) => sendJson(res, 200, [
      { Id: CID, Names: ['/web'], Image: 'alpine', Command: 'sleep 1000', Created: NOW / 1000 - 5,
        Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }], Labels: {}, State: 'running', Status: 'Up 5 seconds' },
      { Id: 'ab'.repeat(32), Names: ['/db'], Image: '/var/lib/rootfs', Command: '/bin/sh -c while true; do sleep 1; done',
        Created: NOW / 1000 - 3600, Ports: [], State: 'exited', Status: 'Exited (0) 2 seconds ago' },
    ]));
    const r = await cli(['ps', '-a']);
    expect(r.stdout).toBe(
      'CONTAINER ID   IMAGE             COMMAND                  CREATED             STATUS                     PORTS                  NAMES\n' +
      '52f7137e0f43   alpine            "sleep 1000"             5 seconds ago       Up 5 seconds               0.0.0.0:8080->80/tcp   web\n' +
      'abababababab   /var/lib/rootfs   "/bin/sh -c while tr…"   About an hour ago   Exited (0) 2 seconds ago                          db\n');
    expect(engine.requests[0]!.query).toEqual({ all: '1' });
  });

  it('ps without -a sends no query; filters, -q, --format json', async () => {
    engine.on('GET', /^\/containers\/json$/, (_r, res) => sendJson(res, 200, [
      { Id: CID, Names: ['/web'], Image: 'alpine', Command: 'sleep 1000', Created: NOW / 1000 - 5, State: 'running', Status: 'Up 5 seconds',
        NetworkSettings: { Networks: { net1: {}, bridge: {} } } },
    ]));
    await cli(['ps']);
    expect(engine.requests[0]!.query).toEqual({});
    const q = await cli(['ps', '-q', '--filter', 'status=running', '-f', 'name=web']);
    expect(q.stdout).toBe(`${CID.slice(0, 12)}\n`);
    expect(JSON.parse(engine.requests[1]!.query.filters!)).toEqual({ status: { running: true }, name: { web: true } });
    const j = await cli(['ps', '--format', 'json']);
    expect(JSON.parse(j.stdout)).toMatchObject({
      ID: CID.slice(0, 12), Names: 'web', Command: '"sleep 1000"', RunningFor: '5 seconds ago', Networks: 'bridge,net1', State: 'running',
    });
    const l = await cli(['container', 'ls', '--format', '{{.Names}} {{.Status}}']);
    expect(l.stdout).toBe('web Up 5 seconds\n');
  });

  it('logs: inspect for the id, then the log query; demuxes (or copies raw for a TTY)', async () => {
    let tty = false;
    engine.on('GET', /^\/containers\/web\/json$/, (_r, res) => sendJson(res, 200, { Id: CID, Config: { Tty: tty } }));
    engine.on('GET', /\/logs$/, (_r, res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
      res.end(tty ? 'raw bytes\n' : Buffer.concat([encodeFrame(1, 'out\n'), encodeFrame(2, 'err\n')]));
    });
    const r = await cli(['logs', '-f', '--tail', '10', '-t', 'web']);
    expect(r).toEqual({ code: 0, stdout: 'out\n', stderr: 'err\n' });
    expect(engine.calls()).toEqual(['GET /containers/web/json', `GET /containers/${CID}/logs`]);
    expect(engine.requests[1]!.query).toEqual({ follow: '1', stderr: '1', stdout: '1', tail: '10', timestamps: '1' });
    tty = true;
    const raw = await cli(['logs', 'web']);
    expect(raw.stdout).toBe('raw bytes\n');
    expect(engine.requests[3]!.query).toEqual({ stderr: '1', stdout: '1', tail: 'all' });
  });

  it('exec: inspect, create with docker body, hijacked start, exit code from exec inspect', async () => {
    engine.on('GET', /^\/containers\/web\/json$/, (_r, res) => sendJson(res, 200, { Id: CID }));
    engine.on('POST', /^\/containers\/web\/exec$/, (_r, res) => sendJson(res, 201, { Id: 'e1' }));
    engine.onUpgrade(/^\/exec\/e1\/start$/, (_r, socket) => upgradeWith(socket, [encodeFrame(1, 'hi\n'), encodeFrame(2, 'warn\n')]));
    engine.on('GET', /^\/exec\/e1\/json$/, (_r, res) => sendJson(res, 200, { ID: 'e1', Running: false, ExitCode: 3 }));
    const r = await cli(['exec', '-e', 'A=1', '-w', '/tmp', 'web', 'sh', '-c', 'echo hi; exit 3', '-e', 'ignored']);
    expect(r).toEqual({ code: 3, stdout: 'hi\n', stderr: 'warn\n' });
    expect(engine.requests[1]!.body).toBe(
      '{"User":"","Privileged":false,"Tty":false,"AttachStdin":false,"AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"","Env":["A=1"],"WorkingDir":"/tmp","Cmd":["sh","-c","echo hi; exit 3","-e","ignored"]}');
    expect(engine.requests[2]!.json).toEqual({ Detach: false, Tty: false });
    expect(engine.requests[2]!.headers.connection).toBe('Upgrade');
    expect(engine.calls()).toEqual(['GET /containers/web/json', 'POST /containers/web/exec', 'POST /exec/e1/start', 'GET /exec/e1/json']);
  });

  it('exec -i: stdin goes raw over the hijacked connection, then a half-close', async () => {
    engine.on('GET', /^\/containers\/web\/json$/, (_r, res) => sendJson(res, 200, { Id: CID }));
    engine.on('POST', /^\/containers\/web\/exec$/, (_r, res) => sendJson(res, 201, { Id: 'e3' }));
    engine.onUpgrade(/^\/exec\/e3\/start$/, (_r, socket) => {
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      const got: Buffer[] = [];
      socket.on('data', (c: Buffer) => got.push(c));
      socket.on('end', () => socket.end(encodeFrame(1, `cat: ${Buffer.concat(got).toString()}`)));
    });
    engine.on('GET', /^\/exec\/e3\/json$/, (_r, res) => sendJson(res, 200, { ExitCode: 0 }));
    const stdin = new PassThrough();
    stdin.end('hello\nworld\n');
    const r = await cli(['exec', '-i', 'web', 'cat'], { stdin });
    expect(r).toEqual({ code: 0, stdout: 'cat: hello\nworld\n', stderr: '' });
    expect(engine.requests[1]!.json).toMatchObject({ AttachStdin: true, AttachStdout: true, Cmd: ['cat'] });
  });

  it('exec -d: detached start, no exec inspect; errors from the daemon', async () => {
    engine.on('GET', /^\/containers\/[^/]+\/json$/, (_r, res) => sendJson(res, 200, { Id: CID }));
    engine.on('GET', /^\/containers\/ghost\/json$/, (_r, res) => sendError(res, 404, 'No such container: ghost'));
    engine.on('POST', /^\/containers\/web\/exec$/, (_r, res) => sendJson(res, 201, { Id: 'e2' }));
    engine.on('POST', /^\/exec\/e2\/start$/, (_r, res) => { res.writeHead(200); res.end(); });
    const d = await cli(['exec', '-d', 'web', 'sleep', '5']);
    expect(d.code).toBe(0);
    expect(engine.requests[1]!.json).toMatchObject({ Detach: true, AttachStdout: false, AttachStderr: false });
    expect(engine.requests[2]!.json).toEqual({ Detach: true, Tty: false });
    expect(engine.requests).toHaveLength(3);
    expect(await cli(['exec', 'ghost', 'true'])).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: No such container: ghost\n' });
    engine.on('POST', /^\/containers\/stopped\/exec$/, (_r, res) => sendError(res, 409, `container ${CID} is not running`));
    const s = await cli(['exec', 'stopped', 'true']);
    expect(s).toEqual({ code: 1, stdout: '', stderr: `Error response from daemon: container ${CID} is not running\n` });
  });

  it('stop/kill/restart/rm send docker queries and print names; one failure exits 1', async () => {
    engine.on('POST', /^\/containers\/[^/]+\/(stop|kill|restart|start)$/, noContent);
    engine.on('POST', /^\/containers\/nosuch\/stop$/, (_r, res) => sendError(res, 404, 'No such container: nosuch'));
    engine.on('DELETE', /^\/containers\/[^/]+$/, noContent);
    const s = await cli(['stop', '-t', '3', 'a', 'nosuch', 'b']);
    expect(s).toEqual({ code: 1, stdout: 'a\nb\n', stderr: 'Error response from daemon: No such container: nosuch\n' });
    expect(engine.requests.find((q) => q.path === '/containers/a/stop')!.query).toEqual({ t: '3' });
    engine.reset();
    engine.on('POST', /^\/containers\/[^/]+\/(kill|restart|start)$/, noContent);
    engine.on('DELETE', /^\/containers\/[^/]+$/, noContent);
    expect((await cli(['kill', '-s', 'TERM', 'a'])).stdout).toBe('a\n');
    expect(engine.requests[0]!.query).toEqual({ signal: 'TERM' });
    await cli(['kill', 'a']);
    expect(engine.requests[1]!.query).toEqual({});
    await cli(['restart', 'a']);
    expect(engine.calls()[2]).toBe('POST /containers/a/restart');
    const rm = await cli(['rm', '-f', 'a']);
    expect(rm.stdout).toBe('a\n');
    expect(engine.requests[3]!.query).toEqual({ force: '1' });
    await cli(['rm', 'b']);
    expect(engine.requests[4]!.query).toEqual({});
    expect((await cli(['start', 'a', 'b'])).stdout).toBe('a\nb\n');
  });

  it('port prints mappings sorted, or one private port', async () => {
    engine.on('GET', /^\/containers\/web\/json$/, (_r, res) => sendJson(res, 200, {
      NetworkSettings: { Ports: {
        '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '::', HostPort: '8080' }],
        '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }],
        '9000/tcp': null,
      } },
    }));
    expect((await cli(['port', 'web'])).stdout).toBe('53/udp -> 0.0.0.0:5353\n80/tcp -> 0.0.0.0:8080\n80/tcp -> [::]:8080\n');
    expect((await cli(['port', 'web', '80'])).stdout).toBe('0.0.0.0:8080\n[::]:8080\n');
    expect((await cli(['port', 'web', '53/udp'])).stdout).toBe('0.0.0.0:5353\n');
    expect(await cli(['port', 'web', '9000'])).toEqual({ code: 1, stdout: '', stderr: "Error: No public port '9000' published for web\n" });
  });

  it('wait prints each exit code', async () => {
    engine.on('POST', /^\/containers\/a\/wait$/, (_r, res) => sendJson(res, 200, { StatusCode: 0, Error: null }));
    engine.on('POST', /^\/containers\/b\/wait$/, (_r, res) => sendJson(res, 200, { StatusCode: 42, Error: null }));
    expect(await cli(['wait', 'a', 'b'])).toEqual({ code: 0, stdout: '0\n42\n', stderr: '' });
  });

  it('inspect tries container, then network; reports unknown objects', async () => {
    engine.on('GET', /^\/containers\/web\/json$/, (_r, res) => sendJson(res, 200, { Id: CID, Name: '/web' }));
    engine.on('GET', /^\/containers\/[^/]+\/json$/, (r, res) => sendError(res, 404, `No such container: ${r.path.split('/')[2]}`));
    engine.on('GET', /^\/networks\/net1$/, (_r, res) => sendJson(res, 200, { Name: 'net1', Id: ID }));
    engine.on('GET', /^\/networks\/[^/]+$/, (r, res) => sendError(res, 404, `network ${r.path.split('/')[2]} not found`));
    // Routes are matched newest first: re-register the specific ones on top.
    engine.on('GET', /^\/containers\/web\/json$/, (_r, res) => sendJson(res, 200, { Id: CID, Name: '/web' }));
    engine.on('GET', /^\/networks\/net1$/, (_r, res) => sendJson(res, 200, { Name: 'net1', Id: ID }));
    const r = await cli(['inspect', '-f', '{{.Id}}', 'web', 'net1', 'ghost']);
    expect(r.stdout).toBe(`${CID}\n${ID}\n`);
    expect(r.stderr).toBe('Error: No such object: ghost\n');
    expect(r.code).toBe(1);
    expect(engine.calls()).toEqual([
      'GET /containers/web/json', 'GET /containers/net1/json', 'GET /networks/net1', 'GET /containers/ghost/json', 'GET /networks/ghost',
    ]);
  });

  it('inspect -f runs Go templates with range, index and variables', async () => {
    engine.on('GET', /^\/containers\/web\/json$/, (_r, res) => sendJson(res, 200, {
      Id: CID,
      NetworkSettings: {
        Networks: { net2: { IPAddress: '10.0.2.5' }, net1: { IPAddress: '10.0.1.5' } },
        Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] },
      },
    }));
    const ips = await cli(['container', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', 'web']);
    expect(ips).toEqual({ code: 0, stdout: '10.0.1.5 10.0.2.5 \n', stderr: '' });
    const portsFormat = '{{range $p, $conf := .NetworkSettings.Ports}}{{$p}} -> {{(index $conf 0).HostPort}}{{end}}';
    const ports = await cli(['inspect', '-f', portsFormat, 'web']);
    expect(ports.stdout).toBe('80/tcp -> 8080\n');
  });

  it('version shows client and server', async () => {
    engine.on('GET', /^\/version$/, (_r, res) => sendJson(res, 200, {
      Platform: { Name: 'weft' }, Version: '0.1.0', ApiVersion: '1.50', MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64',
    }));
    const r = await cli(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Client:\n Version:           0.1.0\n API version:       1.50\n');
    expect(r.stdout).toContain('Server: weft\n Engine:\n  Version:          0.1.0\n  API version:      1.50 (minimum version 1.24)\n');
    expect((await cli(['version', '--format', '{{.Server.ApiVersion}}'])).stdout).toBe('1.50\n');
  });
});

describe('transport and errors', () => {
  it('an unreachable daemon: docker-like message, exit 1', async () => {
    const missing = `unix://${path.join(dir, 'nope.sock')}`;
    const stdout = new Sink(), stderr = new Sink();
    const code = await main(['-H', missing, 'network', 'ls'], { stdout, stderr, env: {} });
    expect(code).toBe(1);
    expect(stderr.text).toBe(`Cannot connect to the weft daemon at ${missing}: is the daemon running?\n`);
  });

  it('run against an unreachable daemon exits 125', async () => {
    const stderr = new Sink();
    const code = await main(['-H', `unix://${path.join(dir, 'nope.sock')}`, 'run', '-d', 'x'], { stdout: new Sink(), stderr, env: {} });
    expect(code).toBe(125);
    expect(stderr.text).toMatch(/^weft: Cannot connect to the weft daemon at unix:\/\/.*: is the daemon running\?\n/);
  });

  it('WEFT_HOST is the default host; -H wins over it', async () => {
    engine.on('GET', /^\/networks$/, (_r, res) => sendJson(res, 200, []));
    const stdout = new Sink();
    const code = await main(['network', 'ls', '-q'], { stdout, stderr: new Sink(), env: { WEFT_HOST: host } });
    expect(code).toBe(0);
    expect(engine.calls()).toEqual(['GET /networks']);
    const stderr = new Sink();
    await main(['-H', `unix://${path.join(dir, 'other.sock')}`, 'network', 'ls'], { stdout, stderr, env: { WEFT_HOST: host } });
    expect(stderr.text).toContain('other.sock');
  });

  it('prints non-JSON and badly typed error bodies the docker way', async () => {
    engine.on('GET', /^\/networks\/a$/, (_r, res) => { res.writeHead(404, { 'Content-Type': 'text/plain' }); res.end('network a not found\n'); });
    engine.on('GET', /^\/networks\/b$/, (_r, res) => {
      res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end('{"message":"network b not found"}');
    });
    engine.on('GET', /^\/networks\/c$/, (_r, res) => { res.writeHead(500); res.end(); });
    const r = await cli(['network', 'inspect', 'a', 'b', 'c']);
    expect(r.stderr.split('\n')).toEqual([
      'Error response from daemon: network a not found',
      'Error response from daemon: {"message":"network b not found"}',
      `Error response from daemon: request returned 500 Internal Server Error for API route and version http://${encodeURIComponent(engine.socketPath)}/v1.50/networks/c, check if the server supports the requested API version`,
      '',
    ]);
    expect(r.code).toBe(1);
  });

  it('help lists the command groups and the daemon command; --help exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['network', 'run', 'ps', 'exec', 'daemon', 'container']) expect(r.stdout).toMatch(new RegExp(`\\n  ${c}\\b`));
    const run = await cli(['run', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('-h, --hostname <name>');
  });
});
