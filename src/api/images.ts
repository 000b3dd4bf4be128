/**
 * weft has no registry client: `busybox` is built in (made from Debian's busybox-static),
 * and any absolute directory path works as an image (`--rootfs`). Pulls are refused with
 * a clear 404, so `docker run unknown` fails fast instead of hanging.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NotFound } from '../util/errors.js';
import { ensureBusyboxRootfs } from '../runtime/image.js';
import { baseHeaders, sendJson } from './http.js';
import type { Ctx, Route } from './router.js';

export interface ImageResolver {
  /** Root filesystem for an image reference, or NotFound. */
  resolve(image: string): Promise<string>;
  /** The image's default command (its CMD), used when the request has none. */
  defaultCmd?(image: string): string[];
}

/** A stable image id for the built-in busybox (the CLI shows 12 hex digits of it). */
const BUSYBOX_ID = `sha256:${crypto.createHash('sha256').update('weft builtin busybox').digest('hex')}`;

const BUSYBOX = /^(?:(?:docker\.io\/)?(?:library\/)?)busybox(?::latest)?$/;

export class BuiltinImages implements ImageResolver {
  constructor(private readonly imagesDir: string) {}

  async resolve(image: string): Promise<string> {
    if (BUSYBOX.test(image)) return ensureBusyboxRootfs(path.join(this.imagesDir, 'busybox'));
    if (path.isAbsolute(image)) {
      if (fs.statSync(image, { throwIfNoEntry: false })?.isDirectory()) return image;
      throw new NotFound(`No such image: ${image} (rootfs directory does not exist)`);
    }
    throw new NotFound(`No such image: ${withTag(image)}`);
  }

  /** busybox's CMD is `sh`, as on Docker Hub. */
  defaultCmd(image: string): string[] {
    return BUSYBOX.test(image) ? ['sh'] : [];
  }
}

/** dockerd names a missing image with its tag: `No such image: alpine:latest`. */
function withTag(image: string): string {
  return /[:@][^/]*$/.test(image) ? image : `${image}:latest`;
}

/** POST /images/create: only the built-in busybox "pulls". */
function pull({ res, query }: Ctx): void {
  const name = query.get('fromImage') ?? '';
  const tag = query.get('tag') ?? '';
  const ref = tag ? `${name}${tag.startsWith('sha256:') ? '@' : ':'}${tag}` : name;
  if (BUSYBOX.test(ref)) {
    // Built in, so always "up to date": `docker pull busybox` succeeds, and so does the
    // pull docker run attempts after any 404 from create (it then retries the create
    // and prints that one's error).
    const lines = [
      { status: 'Pulling from library/busybox', id: 'latest' },
      { status: `Digest: ${BUSYBOX_ID}` },
      { status: 'Status: Image is up to date for busybox:latest (built into weft)' },
    ];
    const text = lines.map((l) => `${JSON.stringify(l)}\r\n`).join('');
    res.writeHead(200, { ...baseHeaders(), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  const shown = ref.replace(/^docker\.io\/(library\/)?/, '');
  sendJson(res, 404, {
    message: `pull access denied for ${shown}: weft does not pull images; ` +
      'use the built-in image "busybox" or a root filesystem directory (weft run --rootfs DIR)',
  });
}

export function imageRoutes(): Route[] {
  return [
    { method: 'POST', path: '/images/create', handler: pull },
    // weft has no volumes: an empty list, so scripts that look for theirs see none.
    { method: 'GET', path: '/volumes', handler: ({ res }) => sendJson(res, 200, { Volumes: [], Warnings: null }) },
    { method: 'GET', path: '/images/json', handler: ({ res }) =>
      sendJson(res, 200, [{ Id: BUSYBOX_ID, RepoTags: ['busybox:latest'], Created: 0, Size: 0, Labels: {}, Containers: -1 }]) },
    { method: 'GET', path: '/images/:name/json', handler: ({ res, params }) => {
      if (!BUSYBOX.test(params.name)) throw new NotFound(`No such image: ${withTag(params.name)}`);
      sendJson(res, 200, {
        Id: BUSYBOX_ID, RepoTags: ['busybox:latest'], Os: 'linux', Architecture: 'amd64',
        // docker-compose reads the image's volumes from ContainerConfig when it re-creates a container.
        Config: { Cmd: ['sh'], Env: [], Volumes: null }, ContainerConfig: { Cmd: ['sh'], Env: [], Volumes: null },
      });
    } },
  ];
}
