/**
 * Images in and out as files: POST /images/load (docker load), GET /images/{name}/get and
 * /images/get (docker save), POST /images/create?fromSrc=- (docker import). A pull of
 * anything but the built-in busybox fails at once: weft has no registry client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { importRootfs } from '../images/import.js';
import { loadArchive } from '../images/load.js';
import { saveArchive } from '../images/save.js';
import type { StoredImage } from '../images/store.js';
import { InvalidArgument } from '../util/errors.js';
import type { ApiDeps } from './deps.js';
import { BUSYBOX, BUSYBOX_ID, isBuiltin } from './image-resolver.js';
import { baseHeaders, sendJson } from './http.js';
import type { Ctx, Route } from './router.js';

/** Progress-style JSON lines, as dockerd streams them for load, import and pull. */
function sendLines(res: ServerResponse, lines: object[]): void {
  const text = lines.map((l) => `${JSON.stringify(l)}\r\n`).join('');
  res.writeHead(200, { ...baseHeaders(), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Runs a job that reads the request body; on failure the rest of the body is read and dropped so the client sees the answer. */
async function consuming<T>(req: IncomingMessage, job: () => Promise<T>): Promise<T> {
  try {
    return await job();
  } catch (err) {
    req.resume();
    throw err;
  }
}

function pull({ res, query }: Ctx): void {
  const name = query.get('fromImage') ?? '';
  const tag = query.get('tag') ?? '';
  const ref = tag ? `${name}${tag.startsWith('sha256:') ? '@' : ':'}${tag}` : name;
  if (isBuiltin(ref)) {
    // Built in, so always "up to date": `docker pull busybox` succeeds, and so does the
    // pull docker run attempts after any 404 from create (it then retries the create
    // and prints that one's error).
    sendLines(res, [
      { status: 'Pulling from library/busybox', id: 'latest' },
      { status: `Digest: ${BUSYBOX_ID}` },
      { status: 'Status: Image is up to date for busybox:latest (built into weft)' },
    ]);
    return;
  }
  const shown = ref.replace(/^docker\.io\/(library\/)?/, '');
  sendJson(res, 404, {
    message: `pull access denied for ${shown}: weft does not pull images; ` +
      'load one (docker load -i FILE), import a root filesystem tarball (docker import), use the built-in image "busybox" ' +
      'or a root filesystem directory (weft run --rootfs DIR)',
  });
}

async function importImage(d: ApiDeps, { req, res, query }: Ctx): Promise<void> {
  if (query.get('fromSrc') !== '-') {
    req.resume();
    throw new InvalidArgument('weft does not download images: import a tarball from a file or stdin (fromSrc=-)');
  }
  const repo = query.get('repo') ?? '';
  const tag = query.get('tag') ?? '';
  const id = await consuming(req, () => importRootfs(d.images.store, req, {
    ...(repo ? { ref: tag ? `${repo}:${tag}` : repo } : {}),
    changes: query.getAll('changes'),
    message: query.get('message') ?? '',
  }));
  sendLines(res, [{ status: id }]);
}

async function load(d: ApiDeps, { req, res }: Ctx): Promise<void> {
  const loaded = await consuming(req, () => loadArchive(d.images.store, req));
  sendLines(res, loaded.flatMap((img) =>
    (img.tags.length ? img.tags.map((t) => `Loaded image: ${t}\n`) : [`Loaded image ID: ${img.id}\n`]).map((stream) => ({ stream }))));
}

/** Each name's image, with that tag when it is one, all its tags when it is an id. */
async function save(d: ApiDeps, res: ServerResponse, names: string[]): Promise<void> {
  const images: { image: StoredImage; tags: string[] }[] = names.map((n) => {
    const image = d.images.find(n);
    if (image === BUSYBOX) throw new InvalidArgument('busybox is built into weft and cannot be saved');
    const tag = d.images.store.tags.tagged(n);
    return { image, tags: tag ? [tag] : image.tags };
  });
  if (!images.length) throw new InvalidArgument('no images named: give one or more names');
  res.writeHead(200, { ...baseHeaders(), 'Content-Type': 'application/x-tar' });
  await pipeline(saveArchive(d.images.store, images), res);
}

export function imageTransferRoutes(d: ApiDeps): Route[] {
  return [
    { method: 'POST', path: '/images/create', handler: (ctx) => (ctx.query.has('fromSrc') ? importImage(d, ctx) : pull(ctx)) },
    { method: 'POST', path: '/images/load', handler: (ctx) => load(d, ctx) },
    { method: 'GET', path: '/images/get', handler: ({ res, query }) => save(d, res, query.getAll('names')) },
    { method: 'GET', path: '/images/:name*/get', handler: ({ res, params }) => save(d, res, [params.name]) },
  ];
}
