/** `docker import`: a root filesystem tarball (plain or gzip) as a one-layer image, with --change applied. */
import type { Readable } from 'node:stream';
import { applyChanges } from './changes.js';
import { decompressed } from './compression.js';
import type { ImageConfig } from './config.js';
import { HOST_ARCH } from './load.js';
import { normaliseReference } from './reference.js';
import type { ImageStore } from './store.js';

export interface ImportOptions {
  /** name[:tag] to tag the image with; none leaves it untagged. */
  ref?: string;
  changes: string[];
  message?: string;
}

export async function importRootfs(store: ImageStore, input: Readable, o: ImportOptions): Promise<string> {
  const ref = o.ref ? normaliseReference(o.ref) : undefined;
  const run = applyChanges({}, o.changes);
  return store.serial.run(async () => {
    const diffId = await store.putLayer(await decompressed(input));
    const created = new Date().toISOString();
    const comment = o.message || 'Imported from -';
    const config: ImageConfig = {
      architecture: HOST_ARCH,
      comment,
      config: run,
      created,
      history: [{ created, comment }],
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [diffId] },
    };
    const id = store.putConfig(Buffer.from(JSON.stringify(config)));
    if (ref) store.tags.set(ref, id);
    return id;
  });
}
