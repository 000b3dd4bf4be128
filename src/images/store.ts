/**
 * The image store under the state root, content-addressed as dockerd's:
 *   layers/<diff id hex>/layer.tar   the uncompressed layer exactly as loaded (save writes it back)
 *   layers/<diff id hex>/root/       the same, unpacked once with overlay whiteouts: a shared lower layer
 *   configs/<image id hex>.json      the image config's bytes (the id is their sha256)
 *   repositories.json                name:tag -> image id
 * Everything appears by rename from tmp/ (emptied at open), so an interrupted load leaves
 * nothing half-visible; layers that no config names (a load cut short) are removed at open too.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { failpoint } from '../util/failpoint.js';
import { InvalidArgument } from '../util/errors.js';
import { Serial } from '../util/lock.js';
import type { ImageConfig } from './config.js';
import { Repositories } from './repositories.js';
import { unpackLayer } from './unpack.js';

export interface StoredImage {
  /** sha256:<hex> of the config's bytes. */
  id: string;
  config: ImageConfig;
  tags: string[];
  /** Bytes of file content over all layers. */
  size: number;
}

const hex = (digest: string) => digest.replace(/^sha256:/, '');

export class ImageStore {
  readonly tags: Repositories;
  /** Loads, imports and removals run one at a time: a removal never collects a layer a load is about to use. */
  readonly serial = new Serial();
  private readonly configs = new Map<string, ImageConfig>();

  constructor(readonly dir: string) {
    this.tags = new Repositories(path.join(dir, 'repositories.json'));
  }

  /** Makes the layout, drops temporary work and unreferenced layers, reads configs and tags. */
  open(): void {
    for (const d of ['layers', 'configs']) fs.mkdirSync(path.join(this.dir, d), { recursive: true });
    fs.rmSync(path.join(this.dir, 'tmp'), { recursive: true, force: true });
    fs.mkdirSync(path.join(this.dir, 'tmp'));
    for (const f of fs.readdirSync(path.join(this.dir, 'configs'))) {
      if (!f.endsWith('.json')) continue;
      const config = JSON.parse(fs.readFileSync(path.join(this.dir, 'configs', f), 'utf8')) as ImageConfig;
      this.configs.set(`sha256:${f.slice(0, -5)}`, config);
    }
    this.collectLayers();
    this.tags.load((id) => this.configs.has(id));
  }

  /** A fresh directory under tmp/, for work that becomes visible only by a rename. */
  tmpDir(): string {
    return fs.mkdtempSync(path.join(this.dir, 'tmp', 'w-'));
  }

  layerRoot(diffId: string): string {
    return path.join(this.dir, 'layers', hex(diffId), 'root');
  }

  layerTar(diffId: string): string {
    return path.join(this.dir, 'layers', hex(diffId), 'layer.tar');
  }

  hasLayer(diffId: string): boolean {
    return fs.existsSync(path.join(this.dir, 'layers', hex(diffId)));
  }

  /** Stores one uncompressed layer tar (unpacked once, shared by every image naming it); returns its diff id. */
  async putLayer(input: Readable): Promise<string> {
    const work = this.tmpDir();
    try {
      const hash = crypto.createHash('sha256');
      input.on('data', (c: Buffer) => hash.update(c));
      await pipeline(input, fs.createWriteStream(path.join(work, 'layer.tar')));
      const diffId = `sha256:${hash.digest('hex')}`;
      if (this.hasLayer(diffId)) return diffId;
      fs.mkdirSync(path.join(work, 'root'), { mode: 0o755 });
      const size = await unpackLayer(fs.createReadStream(path.join(work, 'layer.tar')), path.join(work, 'root'));
      fs.writeFileSync(path.join(work, 'size'), String(size));
      failpoint('images.layer.unpacked');
      fs.renameSync(work, path.join(this.dir, 'layers', hex(diffId)));
      return diffId;
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }

  /** Stores a config whose layers are all present; returns the image id. */
  putConfig(bytes: Buffer): string {
    const config = parseConfig(bytes);
    const missing = config.rootfs.diff_ids.find((d) => !this.hasLayer(d));
    if (missing) throw new InvalidArgument(`invalid image: layer ${missing} is missing`);
    const id = `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
    if (this.configs.has(id)) return id;
    const work = this.tmpDir();
    try {
      fs.writeFileSync(path.join(work, 'config.json'), bytes);
      fs.renameSync(path.join(work, 'config.json'), path.join(this.dir, 'configs', `${hex(id)}.json`));
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
    this.configs.set(id, config);
    return id;
  }

  configBytes(id: string): Buffer {
    return fs.readFileSync(path.join(this.dir, 'configs', `${hex(id)}.json`));
  }

  /** An image by name:tag, full id or unique id prefix. */
  find(ref: string): StoredImage | undefined {
    const id = this.tags.resolve(ref, [...this.configs.keys()]);
    return id ? this.image(id) : undefined;
  }

  list(): StoredImage[] {
    return [...this.configs.keys()].map((id) => this.image(id));
  }

  /** Deletes an image (its tags must be gone) and the layers no other image names; returns the layers deleted. */
  remove(id: string): string[] {
    fs.rmSync(path.join(this.dir, 'configs', `${hex(id)}.json`), { force: true });
    this.configs.delete(id);
    return this.collectLayers();
  }

  private image(id: string): StoredImage {
    const config = this.configs.get(id) as ImageConfig;
    const size = config.rootfs.diff_ids.reduce((n, d) => n + this.layerSize(d), 0);
    return { id, config, tags: this.tags.tagsOf(id), size };
  }

  private layerSize(diffId: string): number {
    try {
      return Number(fs.readFileSync(path.join(this.dir, 'layers', hex(diffId), 'size'), 'utf8')) || 0;
    } catch {
      return 0;
    }
  }

  private collectLayers(): string[] {
    const used = new Set([...this.configs.values()].flatMap((c) => c.rootfs.diff_ids.map(hex)));
    const gone: string[] = [];
    for (const l of fs.readdirSync(path.join(this.dir, 'layers'))) {
      if (used.has(l)) continue;
      // Renamed out of the way first, so a crash mid-delete leaves no half layer in layers/.
      const doomed = path.join(this.tmpDir(), 'layer');
      fs.renameSync(path.join(this.dir, 'layers', l), doomed);
      fs.rmSync(path.dirname(doomed), { recursive: true, force: true });
      gone.push(`sha256:${l}`);
    }
    return gone;
  }
}

function parseConfig(bytes: Buffer): ImageConfig {
  let c: ImageConfig;
  try {
    c = JSON.parse(bytes.toString('utf8')) as ImageConfig;
  } catch {
    throw new InvalidArgument('invalid image config: malformed JSON');
  }
  const ids = c?.rootfs?.diff_ids;
  if (!Array.isArray(ids) || ids.some((d) => typeof d !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(d))) {
    throw new InvalidArgument('invalid image config: rootfs.diff_ids must list sha256 digests');
  }
  if (c.os && c.os !== 'linux') throw new InvalidArgument(`image operating system "${c.os}" cannot be used on this platform`);
  return c;
}
