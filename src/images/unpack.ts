/**
 * One layer tar, unpacked into a directory that overlayfs takes as a lower layer. OCI
 * whiteouts become overlay's own: `.wh.NAME` a 0/0 character device (NAME hidden in the
 * layers below), `.wh..wh..opq` the trusted.overlay.opaque xattr on its directory (all of
 * the directory below hidden). Runs as root, so owners, modes and device nodes are kept as
 * the tar says. No entry may write through a symlink: a layer cannot reach outside its root.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { lsetxattr, mknod } from '../kernel/libc.js';
import { InvalidArgument } from '../util/errors.js';

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

/** A tar member name as a path relative to the root, `..` resolved at the root; '' for the root. */
export function cleanPath(name: string): string {
  return path.posix.normalize(`/${name}`).replace(/^\/+|\/+$/g, '');
}

/** What a whiteout entry asks for: hide one name, make a directory opaque, or nothing (not a whiteout). */
export function whiteoutOf(rel: string): { kind: 'hide'; target: string } | { kind: 'opaque'; dir: string } | undefined {
  const base = path.posix.basename(rel);
  const dir = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir };
  if (base.startsWith(WHITEOUT_PREFIX) && base.length > WHITEOUT_PREFIX.length) {
    return { kind: 'hide', target: path.posix.join(dir, base.slice(WHITEOUT_PREFIX.length)) };
  }
  return undefined;
}

/** glibc's makedev. */
function makedev(major: number, minor: number): number {
  return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) * 4096);
}

/** Makes the directories of rel (relative to root) that are missing; refuses to pass a symlink or a file. */
export function ensureDirs(root: string, rel: string): void {
  let at = root;
  for (const part of rel ? rel.split('/') : []) {
    at = path.join(at, part);
    const st = fs.lstatSync(at, { throwIfNoEntry: false });
    if (!st) fs.mkdirSync(at, { mode: 0o755 });
    else if (!st.isDirectory()) {
      throw new InvalidArgument(`invalid layer: ${path.relative(root, at)} is not a directory but has entries under it`);
    }
  }
}

/** Removes what is at target unless it is a directory and a directory is wanted. */
function clear(target: string, keepDir: boolean): void {
  const st = fs.lstatSync(target, { throwIfNoEntry: false });
  if (!st || (keepDir && st.isDirectory())) return;
  fs.rmSync(target, { recursive: true, force: true });
}

async function writeEntry(root: string, rel: string, h: tar.Headers, stream: Readable): Promise<number> {
  const target = path.join(root, rel);
  const mode = (h.mode ?? 0o644) & 0o7777;
  clear(target, h.type === 'directory');
  switch (h.type) {
    case 'directory':
      fs.mkdirSync(target, { recursive: true });
      break;
    case 'symlink':
      fs.symlinkSync(h.linkname ?? '', target);
      break;
    case 'link': {
      const src = cleanPath(h.linkname ?? '');
      ensureDirs(root, path.posix.dirname(src) === '.' ? '' : path.posix.dirname(src));
      fs.linkSync(path.join(root, src), target);
      break;
    }
    case 'character-device':
    case 'block-device':
      mknod(target, (h.type === 'block-device' ? S_IFBLK : S_IFCHR) | mode, makedev(h.devmajor ?? 0, h.devminor ?? 0));
      break;
    case 'fifo':
      mknod(target, S_IFIFO | mode, 0);
      break;
    default:
      await pipeline(stream, fs.createWriteStream(target, { mode }));
  }
  if (h.type !== 'link') {
    fs.lchownSync(target, h.uid ?? 0, h.gid ?? 0);
    // After the chown, which clears setuid bits; a symlink's own mode means nothing.
    if (h.type !== 'symlink') fs.chmodSync(target, mode);
    const t = h.mtime ?? new Date(0);
    fs.lutimesSync(target, t, t);
  }
  return h.type === 'file' || h.type === 'contiguous-file' || h.type === undefined ? h.size ?? 0 : 0;
}

async function applyEntry(root: string, h: tar.Headers, stream: Readable): Promise<number> {
  const rel = cleanPath(h.name);
  if (!rel) return 0;
  const wh = whiteoutOf(rel);
  ensureDirs(root, wh?.kind === 'opaque' ? wh.dir : path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel));
  if (wh?.kind === 'opaque') {
    lsetxattr(path.join(root, wh.dir), 'trusted.overlay.opaque', 'y');
    return 0;
  }
  if (wh?.kind === 'hide') {
    const target = path.join(root, wh.target);
    clear(target, false);
    mknod(target, S_IFCHR, 0);
    return 0;
  }
  return writeEntry(root, rel, h, stream);
}

/** Unpacks an uncompressed layer tar into root (an empty directory); returns the bytes of file content. */
export async function unpackLayer(input: Readable, root: string): Promise<number> {
  const ex = tar.extract();
  let size = 0;
  // Directory times are set last: every entry made inside a directory changes its mtime.
  const dirTimes: [string, Date][] = [];
  ex.on('entry', (h, stream, next) => {
    applyEntry(root, h, stream).then((n) => {
      size += n;
      if (h.type === 'directory' && cleanPath(h.name)) dirTimes.push([path.join(root, cleanPath(h.name)), h.mtime ?? new Date(0)]);
      stream.resume();
      next();
    }, (err: Error) => {
      stream.resume();
      next(err);
    });
  });
  await pipeline(input, ex);
  for (const [dir, t] of dirTimes.reverse()) fs.utimesSync(dir, t, t);
  return size;
}
