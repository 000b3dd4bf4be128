/**
 * A container's root is one directory or an image's layers (overlay lower directories,
 * top first, joined by ':'). Lookups made before the overlay is mounted search the layers
 * the way overlay does: the topmost layer that has the path wins (an overlay whiteout,
 * a 0/0 character device, counts as absent).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Where rel is found in the root's layers, or undefined. */
export function inRoot(rootfs: string, rel: string): string | undefined {
  for (const layer of rootfs.split(':')) {
    const p = path.join(layer, rel);
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    return st.isCharacterDevice() && st.rdev === 0 ? undefined : p;
  }
  return undefined;
}
