/**
 * `docker load`: a docker-archive (manifest.json, as `docker save` writes it) or an OCI
 * image layout (oci-layout + index.json), plain or gzip. The archive is unpacked into a
 * temporary directory first (its members come in any order), then each image's layers go
 * into the store, checked against the config's diff ids, then the config, then the tags.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgument } from '../util/errors.js';
import { decompressed } from './compression.js';
import type { ImageConfig } from './config.js';
import { normaliseReference } from './reference.js';
import type { ImageStore } from './store.js';
import { cleanPath, unpackLayer } from './unpack.js';

export interface LoadedImage {
  id: string;
  tags: string[];
}

/** One image of the archive: files (relative to the archive root) and the names to tag it with. */
interface ArchivedImage {
  config: string;
  layers: string[];
  tags: string[];
}

/** A member of the unpacked archive, refused if it (or a symlink on the way) leads outside it. */
function member(root: string, name: string): string {
  let p: string;
  try {
    p = fs.realpathSync(path.join(root, cleanPath(name)));
  } catch {
    throw new InvalidArgument(`invalid archive: ${name} is missing`);
  }
  if (!p.startsWith(`${root}/`)) throw new InvalidArgument(`invalid archive: ${name} points outside the archive`);
  return p;
}

function readJsonMember<T>(root: string, name: string): T {
  try {
    return JSON.parse(fs.readFileSync(member(root, name), 'utf8')) as T;
  } catch (err) {
    if (err instanceof InvalidArgument) throw err;
    throw new InvalidArgument(`invalid archive: ${name} is not valid JSON`);
  }
}

function dockerArchive(root: string): ArchivedImage[] {
  const manifest = readJsonMember<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }[]>(root, 'manifest.json');
  if (!Array.isArray(manifest)) throw new InvalidArgument('invalid archive: manifest.json is not a list');
  return manifest.map((m) => {
    if (typeof m.Config !== 'string' || !Array.isArray(m.Layers)) {
      throw new InvalidArgument('invalid archive: manifest entry without Config or Layers');
    }
    return { config: m.Config, layers: m.Layers, tags: m.RepoTags ?? [] };
  });
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  platform?: { os?: string; architecture?: string };
  annotations?: { [k: string]: string };
}

const blobPath = (digest: string) => `blobs/${digest.replace(':', '/')}`;
const ARCH: { [k: string]: string } = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };
export const HOST_ARCH = ARCH[process.arch] ?? process.arch;

/** The name an OCI index entry carries: containerd's full name, or ref.name when it is a whole reference. */
function ociName(d: Descriptor): string[] {
  const full = d.annotations?.['io.containerd.image.name'];
  if (full) return [full];
  const ref = d.annotations?.['org.opencontainers.image.ref.name'];
  return ref && /[:/]/.test(ref) ? [ref] : [];
}

function ociImages(root: string, index: string, tags: string[] | undefined): ArchivedImage[] {
  const { manifests } = readJsonMember<{ manifests?: Descriptor[] }>(root, index);
  if (!Array.isArray(manifests)) throw new InvalidArgument(`invalid archive: ${index} has no manifests`);
  const isIndex = (d: Descriptor) => /image\.index|manifest\.list/.test(d.mediaType ?? '');
  // In a nested (multi-platform) index only this host's platform is loaded.
  const wanted = tags ? manifests.filter((d) => !d.platform || (d.platform.os === 'linux' && d.platform.architecture === HOST_ARCH))
    : manifests;
  return wanted.flatMap((d) => {
    if (isIndex(d)) return ociImages(root, blobPath(d.digest), tags ?? ociName(d));
    const m = readJsonMember<{ config?: Descriptor; layers?: Descriptor[] }>(root, blobPath(d.digest));
    if (!m.config || !Array.isArray(m.layers)) throw new InvalidArgument(`invalid archive: manifest ${d.digest} lacks config or layers`);
    return [{ config: blobPath(m.config.digest), layers: m.layers.map((l) => blobPath(l.digest)), tags: tags ?? ociName(d) }];
  }).slice(0, tags ? 1 : undefined);
}

function archivedImages(root: string): ArchivedImage[] {
  if (fs.existsSync(path.join(root, 'manifest.json'))) return dockerArchive(root);
  if (fs.existsSync(path.join(root, 'index.json'))) return ociImages(root, 'index.json', undefined);
  throw new InvalidArgument('invalid archive: neither manifest.json nor index.json found (a docker-archive or OCI layout is expected)');
}

async function storeImage(store: ImageStore, root: string, img: ArchivedImage): Promise<LoadedImage> {
  const tags = img.tags.map((t) => normaliseReference(t));
  const bytes = fs.readFileSync(member(root, img.config));
  const config = JSON.parse(bytes.toString('utf8')) as ImageConfig;
  const expected = config.rootfs?.diff_ids ?? [];
  if (expected.length !== img.layers.length) {
    throw new InvalidArgument(`invalid manifest, layers length mismatch: expected ${expected.length}, got ${img.layers.length}`);
  }
  for (const [i, layer] of img.layers.entries()) {
    const got = await store.putLayer(await decompressed(fs.createReadStream(member(root, layer))));
    if (got !== expected[i]) throw new InvalidArgument(`invalid diffID for layer ${i}: expected "${expected[i]}", got "${got}"`);
  }
  const id = store.putConfig(bytes);
  for (const t of tags) store.tags.set(t, id);
  return { id, tags };
}

/** Loads every image of the archive; nothing is tagged unless its whole image is stored. */
export async function loadArchive(store: ImageStore, input: Readable): Promise<LoadedImage[]> {
  return store.serial.run(async () => {
    const work = fs.realpathSync(store.tmpDir());
    try {
      await unpackLayer(await decompressed(input), work);
      const images = archivedImages(work);
      const loaded: LoadedImage[] = [];
      for (const img of images) loaded.push(await storeImage(store, work, img));
      return loaded;
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
}
