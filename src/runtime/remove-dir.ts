/**
 * A container's directory leaves its place with one rename; its files (the upper layer,
 * logs) are deleted in the background on libuv's threads, so a removal does not wait for
 * them. One a crash interrupts belongs to no record, so the orphan sweep at start removes it.
 */
import fs from 'node:fs';

export function removeDirInBackground(dir: string, onError: (err: unknown) => void): void {
  const gone = `${dir}.removed`;
  try {
    fs.renameSync(dir, gone);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  fs.promises.rm(gone, { recursive: true, force: true }).catch(onError);
}
