/**
 * Which root a container of an image gets. Images in the store (loaded, imported) come
 * first; then the built-in `busybox` (made from Debian's busybox-static) and any absolute
 * directory path (`--rootfs`). weft has no registry client: anything else is a clear 404.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ImageRunConfig } from '../images/config.js';
import { idPrefixOf } from '../images/reference.js';
import type { ImageStore, StoredImage } from '../images/store.js';
import { ensureBusyboxRootfs } from '../runtime/image.js';
import { NotFound } from '../util/errors.js';

export interface ResolvedImage {
  /** A directory, or the image's layer directories (top first) joined by ':' for overlay's lowerdir. */
  rootfs: string;
  /** The stored image's id; absent for a rootfs directory and the built-in busybox. */
  id?: string;
  config: ImageRunConfig;
}

/** A stable image id for the built-in busybox (the CLI shows 12 hex digits of it). */
export const BUSYBOX_ID = `sha256:${crypto.createHash('sha256').update('weft builtin busybox').digest('hex')}`;
const BUSYBOX_NAME = /^(?:(?:docker\.io\/)?(?:library\/)?)busybox(?::latest)?$/;

/** The built-in busybox as an image: no layers, busybox's CMD `sh` as on Docker Hub. */
export const BUSYBOX: StoredImage = {
  id: BUSYBOX_ID,
  tags: ['busybox:latest'],
  size: 0,
  config: { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'], Env: [] }, rootfs: { type: 'layers', diff_ids: [] } },
};

export const isBuiltin = (ref: string) => {
  const prefix = idPrefixOf(ref);
  return BUSYBOX_NAME.test(ref) || (!!prefix && BUSYBOX_ID.slice(7).startsWith(prefix));
};

/** dockerd names a missing image with its tag: `No such image: alpine:latest`. */
export function withTag(image: string): string {
  return /[:@][^/]*$/.test(image) ? image : `${image}:latest`;
}

export class Images {
  constructor(readonly store: ImageStore, private readonly builtinDir: string) {}

  /** A stored image or the built-in busybox, by name:tag or id; NotFound in dockerd's words. */
  find(ref: string): StoredImage {
    const stored = this.store.find(ref);
    if (stored) return stored;
    if (isBuiltin(ref)) return BUSYBOX;
    throw new NotFound(`No such image: ${withTag(ref)}`);
  }

  /** The image's layer directories, top first, as overlay stacks them. */
  lowerDirs(img: StoredImage): string[] {
    return img.config.rootfs.diff_ids.map((d) => this.store.layerRoot(d)).reverse();
  }

  async resolve(ref: string): Promise<ResolvedImage> {
    if (path.isAbsolute(ref)) {
      if (fs.statSync(ref, { throwIfNoEntry: false })?.isDirectory()) return { rootfs: ref, config: {} };
      throw new NotFound(`No such image: ${ref} (rootfs directory does not exist)`);
    }
    const img = this.find(ref);
    const config = img.config.config ?? {};
    // The built-in image records no id: its containers show Image "busybox" as before (compose's one-off
    // run of such a container loses its output when inspect shows the id instead; not yet understood).
    if (img === BUSYBOX) return { rootfs: ensureBusyboxRootfs(path.join(this.builtinDir, 'busybox')), config };
    const lower = this.lowerDirs(img);
    return { rootfs: lower.length ? lower.join(':') : this.emptyRoot(), id: img.id, config };
  }

  /** overlay needs one lower directory at least: an image of no layers gets an empty one. */
  private emptyRoot(): string {
    const dir = path.join(this.builtinDir, 'empty');
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    return dir;
  }
}
