import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { PortBinding } from '../../src/contracts/firewall.js';
import type { ProcessSpec, Runtime } from '../../src/contracts/runtime.js';
import type { Store } from '../../src/contracts/store.js';
import type { Controller } from '../../src/controller/controller.js';
import type { ServiceDiscovery } from '../../src/engine/discovery.js';
import { EtcFiles, etcFilePaths } from '../../src/engine/etc-files.js';
import { claimName, findContainer } from '../../src/engine/names.js';
import { CONTAINER_KEY_PREFIX, type ContainerRecord, newContainerRecord } from '../../src/engine/records.js';
import { restoreContainers } from '../../src/engine/restore.js';
import { Conflict, InvalidArgument, NotFound } from '../../src/util/errors.js';

const record = (id: string, name: string, over: Partial<ContainerRecord> = {}): ContainerRecord => ({
  ...newContainerRecord(id, name, 'bridge', [{ name: 'bridge', config: {} }], { image: 'busybox', rootfs: '/r', cmd: ['sh'] }),
  ...over,
});

describe('container names', () => {
  const all = [record('aaaa1111', 'web'), record('aaaa2222', 'db'), record('bbbb3333', 'cache')];

  it('finds by id, name (with or without "/"), or unique id prefix', () => {
    expect(findContainer(all, 'aaaa1111').name).toBe('web');
    expect(findContainer(all, '/db').id).toBe('aaaa2222');
    expect(findContainer(all, 'bbbb').name).toBe('cache');
    expect(() => findContainer(all, 'aaaa')).toThrow(NotFound);
    expect(() => findContainer(all, '')).toThrow('No such container: ');
  });

  it('refuses a taken or invalid name with dockerd\'s wording, and generates a free one', () => {
    expect(() => claimName('web', all)).toThrow(Conflict);
    expect(() => claimName('web', all)).toThrow('The container name "/web" is already in use by container "aaaa1111"');
    expect(() => claimName('-bad', all)).toThrow(InvalidArgument);
    expect(claimName('fresh', all)).toBe('fresh');
    expect(claimName(undefined, all)).toMatch(/^[a-z]+_[a-z]+\d*$/);
  });

  it('names a host-mode container\'s host "weft-host" and drops its published ports', () => {
    const published: PortBinding = { proto: 'tcp', hostIp: '', hostPort: 80, containerPort: 80 };
    const req = { image: 'i', rootfs: '/r', cmd: ['sh'], portBindings: [published] };
    const host = newContainerRecord('0123456789abcdef', 'h', 'host', [], req);
    expect(host).toMatchObject({ hostname: 'weft-host', portBindings: [], status: 'created', startedAt: '0001-01-01T00:00:00Z' });
    expect(newContainerRecord('0123456789abcdef', 'b', 'bridge', [], req).hostname).toBe('0123456789ab');
  });
});

describe('etc files', () => {
  let dir = '';
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const controller = {
    sandboxEndpoints: () => [{ ipv4: '172.18.0.2/16', ipv6: 'fd00::2/64' }],
    getSandbox: () => ({ nsPath: '/run/weft/netns/x' }),
  } as unknown as Controller;

  it('lists the endpoint addresses under the hostname and names the embedded resolver when DNS serves the container', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-etc-'));
    const dns = { wants: () => true, attach: async () => true, detach: async () => undefined } as unknown as ServiceDiscovery;
    await new EtcFiles(controller, dns).write(record('c1', 'web', { hostname: 'web-host' }), dir);
    const files = etcFilePaths(dir);
    const hosts = fs.readFileSync(files.hosts, 'utf8');
    expect(hosts).toMatch(/^127\.0\.0\.1\tlocalhost\n/);
    expect(hosts).toContain('172.18.0.2\tweb-host\nfd00::2\tweb-host\n');
    expect(fs.readFileSync(files.hostname, 'utf8')).toBe('web-host\n');
    expect(fs.readFileSync(files.resolvConf, 'utf8')).toContain('nameserver 127.0.0.11\n');
  });

  it('uses the host\'s resolvers, without loopback ones, when DNS does not serve the container', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-etc-'));
    await new EtcFiles(controller).write(record('c1', 'web'), dir);
    const resolv = fs.readFileSync(etcFilePaths(dir).resolvConf, 'utf8');
    expect(resolv).not.toContain('127.0.0.11');
    expect(resolv).not.toMatch(/^nameserver\s+127\./m);
  });
});

describe('restore after a daemon restart', () => {
  it('re-adopts running containers, records the exits that happened, finishes cut-short removals', async () => {
    const records = [record('alive', 'a', { status: 'running' }), record('dead', 'd', { status: 'running' }),
      record('idle', 'i'), record('half', 'h')];
    const containersDir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-restore-'));
    // 'half' lost its directory to a removal cut short; 'nobody' is a directory no record has.
    for (const id of ['alive', 'dead', 'idle', 'nobody']) fs.mkdirSync(path.join(containersDir, id));
    const saved: ContainerRecord[] = [];
    const deleted: string[] = [];
    const store = {
      list: async (prefix: string) => (prefix === CONTAINER_KEY_PREFIX ? records.map((value) => ({ key: prefix + value.id, value })) : []),
      delete: async (key: string) => { deleted.push(key); },
    };
    const killed: string[] = [];
    const runtime = {
      adopt: async (s: ProcessSpec) => (s.id === 'alive' ? { pid: 42, startedAt: '' } : undefined),
      exitCode: (s: ProcessSpec) => (s.id === 'dead' ? 3 : undefined),
      killStrays: async (dir: string) => { killed.push(path.basename(dir)); return []; },
    };
    const table: string[] = [];
    const alive = await restoreContainers({
      store: store as unknown as Store,
      runtime: runtime as unknown as Runtime,
      add: (c) => table.push(c.id),
      spec: (c) => ({ id: c.id, dir: path.join(containersDir, c.id) }) as ProcessSpec,
      save: async (c) => { saved.push(c); },
      containersDir,
      logger: pino({ level: 'silent' }),
    });
    expect([...alive]).toEqual([['alive', 42]]);
    expect(table).toEqual(['alive', 'dead', 'idle']);
    expect(deleted).toEqual([`${CONTAINER_KEY_PREFIX}half`]);
    // Every directory but the adopted container's is checked for stray processes; the one no record has goes.
    expect(killed.sort()).toEqual(['dead', 'idle', 'nobody']);
    expect(fs.readdirSync(containersDir).sort()).toEqual(['alive', 'dead', 'idle']);
    fs.rmSync(containersDir, { recursive: true });
    expect(saved.map((c) => [c.id, c.status, c.exitCode])).toEqual([['dead', 'exited', 3]]);
  });
});
