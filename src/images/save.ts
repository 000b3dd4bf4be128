/**
 * `docker save`: a docker-archive (manifest.json, repositories, <config>.json and
 * <diff id>/layer.tar) with each layer's tar as it was loaded, so loading it back gives
 * the same diff ids and so the same image id.
 */
import fs from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';
import { splitReference } from './reference.js';
import type { ImageStore, StoredImage } from './store.js';

const hex = (digest: string) => digest.replace(/^sha256:/, '');

function fileEntry(pack: tar.Pack, name: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = pack.entry({ name, size: fs.statSync(file).size, mode: 0o644 }, (err) => (err ? reject(err) : resolve()));
    fs.createReadStream(file).on('error', reject).pipe(entry);
  });
}

async function writeArchive(store: ImageStore, images: { image: StoredImage; tags: string[] }[], pack: tar.Pack): Promise<void> {
  const manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const repositories: { [name: string]: { [tag: string]: string } } = {};
  const written = new Set<string>();
  for (const { image, tags } of images) {
    const config = `${hex(image.id)}.json`;
    if (!written.has(config)) pack.entry({ name: config, mode: 0o644 }, store.configBytes(image.id));
    written.add(config);
    const layers = image.config.rootfs.diff_ids.map((d) => `${hex(d)}/layer.tar`);
    for (const [i, name] of layers.entries()) {
      if (written.has(name)) continue;
      written.add(name);
      pack.entry({ name: `${hex(image.config.rootfs.diff_ids[i])}/`, type: 'directory', mode: 0o755 });
      await fileEntry(pack, name, store.layerTar(image.config.rootfs.diff_ids[i]));
    }
    manifest.push({ Config: config, RepoTags: tags.length ? tags : null, Layers: layers });
    const top = image.config.rootfs.diff_ids.at(-1);
    for (const t of tags) {
      const { name, tag } = splitReference(t);
      if (top) repositories[name] = { ...repositories[name], [tag]: hex(top) };
    }
  }
  pack.entry({ name: 'manifest.json', mode: 0o644 }, JSON.stringify(manifest));
  pack.entry({ name: 'repositories', mode: 0o644 }, JSON.stringify(repositories));
  pack.finalize();
}

/** The archive of the images, each with the tags asked for (all of an image's tags when asked by id). */
export function saveArchive(store: ImageStore, images: { image: StoredImage; tags: string[] }[]): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  pack.pipe(out);
  writeArchive(store, images, pack).catch((err: Error) => out.destroy(err));
  return out;
}
