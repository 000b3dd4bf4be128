/**
 * weft has no registry client: `busybox` is built in (made from Debian's busybox-static),
 * and any absolute directory path works as an image (`--rootfs`). Pulls are refused with
 * a clear 404, so `docker run unknown` fails fast instead of hanging.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NotFound } from '../errors.js';
import { ensureBusyboxRootfs } from '../runtime/image.js';
import type { ImageResolver } from './containers.js';
import { sendJson } from './http.js';
import type { Router } from './router.js';

const BUSYBOX = /^(?:(?:docker\.io\/)?(?:library\/)?)busybox(?::latest)?$/;

export class BuiltinImages implements ImageResolver {
  constructor(private readonly imagesDir: string) {}

  async resolve(image: string): Promise<string> {
    if (BUSYBOX.test(image)) return ensureBusyboxRootfs(path.join(this.imagesDir, 'busybox'));
    if (path.isAbsolute(image)) {
      if (fs.statSync(image, { throwIfNoEntry: false })?.isDirectory()) return image;
      throw new NotFound(`No such image: ${image} (rootfs directory does not exist)`);
    }
    throw new NotFound(`No such image: ${image}`);
  }
}

export function registerImageRoutes(r: Router): void {
  r.on('POST', '/images/create', ({ res, query }) => {
    const name = query.get('fromImage') ?? '';
    sendJson(res, 404, {
      message: `pull access denied for ${name}: weft does not pull images; use the built-in image "busybox" or a root filesystem directory (weft run --rootfs DIR)`,
    });
  });
  r.on('GET', '/images/json', ({ res }) => {
    sendJson(res, 200, [{ Id: 'sha256:busybox', RepoTags: ['busybox:latest'], Created: 0, Size: 0, Labels: {}, Containers: -1 }]);
  });
  r.on('GET', '/images/:name/json', ({ res, params }) => {
    if (!BUSYBOX.test(params.name)) throw new NotFound(`No such image: ${params.name}`);
    sendJson(res, 200, { Id: 'sha256:busybox', RepoTags: ['busybox:latest'], Os: 'linux', Architecture: 'amd64', Config: { Cmd: ['sh'], Env: [] } });
  });
}
