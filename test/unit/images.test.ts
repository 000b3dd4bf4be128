/**
 * The image store's pieces on a real filesystem (as root, like the daemon): layer tars
 * unpacked with overlay whiteouts, path escapes refused, references, import changes, the
 * store's crash recovery and a save -> load round trip that keeps the id.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyChanges } from '../../src/images/changes.js';
import { loadArchive } from '../../src/images/load.js';
import { normaliseReference } from '../../src/images/reference.js';
import { saveArchive } from '../../src/images/save.js';
import { ImageStore } from '../../src/images/store.js';
import { cleanPath, unpackLayer, whiteoutOf } from '../../src/images/unpack.js';

type Entry = tar.Headers & { body?: string };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { body, ...h } of entries) pack.entry({ mode: 0o644, ...h }, body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function xattr(p: string, name: string): string {
  const r = spawnSync('/usr/bin/python3', ['-c', `import os,sys; print(os.getxattr(sys.argv[1], "${name}").decode())`, p], { encoding: 'utf8' });
  return r.stdout.trim();
}

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wi-unit-')); });
afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

describe('layer whiteouts and paths', () => {
  it('names whiteouts and cleans member names to paths inside the root', () => {
    expect(cleanPath('./a/b/')).toBe('a/b');
    expect(cleanPath('../../etc/passwd')).toBe('etc/passwd');
    expect(cleanPath('./')).toBe('');
    expect(whiteoutOf('etc/.wh.secret')).toEqual({ kind: 'hide', target: 'etc/secret' });
    expect(whiteoutOf('data/.wh..wh..opq')).toEqual({ kind: 'opaque', dir: 'data' });
    expect(whiteoutOf('.wh..wh..opq')).toEqual({ kind: 'opaque', dir: '' });
    expect(whiteoutOf('etc/passwd')).toBeUndefined();
  });

  it('unpacks files, links and devices, and turns whiteouts into overlay whiteouts and the opaque xattr', async () => {
    const root = path.join(dir, 'root');
    fs.mkdirSync(root);
    const size = await unpackLayer(Readable.from([await tarOf([
      { name: 'bin/', type: 'directory', mode: 0o755 },
      { name: 'bin/tool', body: '#!/bin/sh\n', mode: 0o4755, uid: 7, gid: 8 },
      { name: 'bin/alias', type: 'symlink', linkname: 'tool' },
      { name: 'bin/hard', type: 'link', linkname: 'bin/tool' },
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'etc/.wh.secret' },
      { name: 'data/.wh..wh..opq' },
      { name: 'data/new', body: 'new' },
      { name: '../outside', body: 'kept inside' },
    ])]), root);
    expect(size).toBe(10 + 3 + 11);
    const tool = fs.statSync(path.join(root, 'bin/tool'));
    expect([tool.mode & 0o7777, tool.uid, tool.gid, tool.nlink]).toEqual([0o4755, 7, 8, 2]);
    expect(fs.readlinkSync(path.join(root, 'bin/alias'))).toBe('tool');
    expect(fs.statSync(path.join(root, 'dev/null')).rdev).toBe(fs.statSync('/dev/null').rdev);
    const wh = fs.lstatSync(path.join(root, 'etc/secret'));
    expect([wh.isCharacterDevice(), wh.rdev]).toEqual([true, 0]);
    expect(fs.existsSync(path.join(root, 'etc/.wh.secret'))).toBe(false);
    expect(xattr(path.join(root, 'data'), 'trusted.overlay.opaque')).toBe('y');
    expect(fs.readFileSync(path.join(root, 'outside'), 'utf8')).toBe('kept inside');
  });

  it('refuses an entry that would be written through a symlink', async () => {
    const root = path.join(dir, 'root');
    fs.mkdirSync(root);
    const outside = path.join(dir, 'target');
    fs.mkdirSync(outside);
    const layer = await tarOf([{ name: 'escape', type: 'symlink', linkname: outside }, { name: 'escape/owned', body: 'x' }]);
    await expect(unpackLayer(Readable.from([layer]), root)).rejects.toThrow(/escape is not a directory but has entries under it/);
    expect(fs.readdirSync(outside)).toEqual([]);
  });
});

describe('references and import changes', () => {
  it('writes references in the familiar form and refuses bad ones in dockerd\'s words', () => {
    expect(normaliseReference('docker.io/library/app')).toBe('app:latest');
    expect(normaliseReference('registry:5000/org/app:1.2')).toBe('registry:5000/org/app:1.2');
    expect(() => normaliseReference('App')).toThrow('invalid reference format: repository name (App) must be lowercase');
    expect(() => normaliseReference('a b')).toThrow('invalid reference format');
  });

  it('applies CMD, ENTRYPOINT, ENV, EXPOSE, WORKDIR in order and refuses others', () => {
    const c = applyChanges({ Env: ['A=1'] }, ['CMD ["a","b"]', 'ENTRYPOINT run me', 'ENV A=2 B="x y"', 'ENV C 3', 'EXPOSE 80 53/udp', 'WORKDIR /w']);
    expect(c).toEqual({
      Cmd: ['a', 'b'], Entrypoint: ['/bin/sh', '-c', 'run me'], Env: ['A=2', 'B=x y', 'C=3'],
      ExposedPorts: { '80/tcp': {}, '53/udp': {} }, WorkingDir: '/w',
    });
    expect(() => applyChanges({}, ['RUN rm -rf /'])).toThrow('run is not a valid change command');
  });
});

describe('the image store', () => {
  const config = (diffIds: string[]) => Buffer.from(JSON.stringify({ os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }));

  it('stores a layer once, drops leftovers of an interrupted load at open, and collects unused layers', async () => {
    const store = new ImageStore(path.join(dir, 'store'));
    store.open();
    const layer = await tarOf([{ name: 'f', body: 'one' }]);
    const a = await store.putLayer(Readable.from([layer]));
    expect(await store.putLayer(Readable.from([layer]))).toBe(a);
    expect(() => store.putConfig(config([a, `sha256:${'0'.repeat(64)}`]))).toThrow(/layer sha256:0+ is missing/);
    const id = store.putConfig(config([a]));
    const orphan = await store.putLayer(Readable.from([await tarOf([{ name: 'g', body: 'two' }])]));
    fs.mkdirSync(path.join(store.tmpDir(), 'half-unpacked'));
    const reopened = new ImageStore(store.dir);
    reopened.open();
    expect(reopened.hasLayer(a)).toBe(true);
    expect(reopened.hasLayer(orphan)).toBe(false);
    expect(fs.readdirSync(path.join(store.dir, 'tmp'))).toEqual([]);
    expect(reopened.find(id.slice(7, 15))?.id).toBe(id);
    expect(reopened.remove(id)).toEqual([a]);
    expect(fs.readdirSync(path.join(store.dir, 'layers'))).toEqual([]);
  });

  it('saves a docker-archive that loads into another store as the same image, tags included', async () => {
    const store = new ImageStore(path.join(dir, 'one'));
    store.open();
    const a = await store.putLayer(Readable.from([await tarOf([{ name: 'etc/secret', body: 's' }])]));
    const b = await store.putLayer(Readable.from([await tarOf([{ name: 'etc/.wh.secret' }])]));
    const id = store.putConfig(config([a, b]));
    store.tags.set('wi/app:1', id);
    const image = store.find('wi/app:1');
    expect(image).toBeDefined();
    const other = new ImageStore(path.join(dir, 'two'));
    other.open();
    const loaded = await loadArchive(other, saveArchive(store, [{ image: image!, tags: image!.tags }]));
    expect(loaded).toEqual([{ id, tags: ['wi/app:1'] }]);
    expect(other.find('wi/app:1')?.config.rootfs.diff_ids).toEqual([a, b]);
    expect(fs.lstatSync(path.join(other.layerRoot(b), 'etc/secret')).isCharacterDevice()).toBe(true);
  });
});
