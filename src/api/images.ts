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
import type { ImageResolver } from './containers.js';
import { baseHeaders, sendJson } from './http.js';
import type { Router } from './router.js';

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

export function registerImageRoutes(r: Router): void {
  r.on('POST', '/images/create', ({ res, query }) => {
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
      const text = lines.map((l) => JSON.stringify(l) + '\r\n').join('');
      res.writeHead(200, { ...baseHeaders(), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    sendJson(res, 404, {
      message: `pull access denied for ${ref.replace(/^docker\.io\/(library\/)?/, '')}: weft does not pull images; use the built-in image "busybox" or a root filesystem directory (weft run --rootfs DIR)`,
    });
  });
  // weft has no volumes: an empty list, so scripts that look for theirs see none.
  r.on('GET', '/volumes', ({ res }) => sendJson(res, 200, { Volumes: [], Warnings: null }));

  r.on('GET', '/images/json', ({ res }) => {
    sendJson(res, 200, [{ Id: BUSYBOX_ID, RepoTags: ['busybox:latest'], Created: 0, Size: 0, Labels: {}, Containers: -1 }]);
  });
  r.on('GET', '/images/:name/json', ({ res, params }) => {
    if (!BUSYBOX.test(params.name)) throw new NotFound(`No such image: ${withTag(params.name)}`);
    sendJson(res, 200, { Id: BUSYBOX_ID, RepoTags: ['busybox:latest'], Os: 'linux', Architecture: 'amd64', Config: { Cmd: ['sh'], Env: [] } });
  });
}
