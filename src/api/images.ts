/** /images: list, inspect, tag, remove and prune (load, save, import and pull: image-transfer.ts). */
import type { ImageUser } from '../images/remove.js';
import { pruneImages, removeImage } from '../images/remove.js';
import { normaliseReference, splitReference } from '../images/reference.js';
import type { StoredImage } from '../images/store.js';
import { Conflict, InvalidArgument } from '../util/errors.js';
import type { ApiDeps } from './deps.js';
import { BUSYBOX, isBuiltin } from './image-resolver.js';
import { imageTransferRoutes } from './image-transfer.js';
import { parseFilters, qbool, sendEmpty, sendJson } from './http.js';
import type { Ctx, Route } from './router.js';
import { imageInspectJson, imageSummaryJson } from './views/image.js';

const usersOf = (d: ApiDeps) => (id: string): ImageUser[] =>
  d.containers.list().filter((c) => c.imageId === id).map((c) => ({ id: c.id, running: c.status === 'running' }));

/** The tags a `reference` filter keeps: globs on name or name:tag, as dockerd matches them (and then shows only those tags). */
function matchingTags(patterns: string[] | undefined, tags: string[]): string[] {
  if (!patterns) return tags;
  const re = (glob: string) => new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  return tags.filter((t) => patterns.some((p) => re(p).test(p.includes(':') ? t : splitReference(t).name)));
}

function list(d: ApiDeps, { res, query }: Ctx): void {
  const f = parseFilters(query.get('filters'), ['reference', 'dangling', 'label']);
  const dangling = f.get('dangling')?.[0];
  if (dangling !== undefined && !/^(true|false|1|0)$/.test(dangling)) throw new InvalidArgument(`invalid filter 'dangling=${dangling}'`);
  const users = usersOf(d);
  const images = [...d.images.store.list(), BUSYBOX]
    .filter((img) => dangling === undefined || qbool(dangling) === !img.tags.length)
    .filter((img) => (f.get('label') ?? []).every((l) => labelMatch(img, l)))
    .map((img) => ({ ...img, tags: matchingTags(f.get('reference'), img.tags) }))
    .filter((img) => !f.has('reference') || img.tags.length);
  sendJson(res, 200, images.map((img) => imageSummaryJson(img, users(img.id).length)));
}

function labelMatch(img: StoredImage, filter: string): boolean {
  const [k, v] = filter.split(/=(.*)/s);
  const labels = img.config.config?.Labels ?? {};
  return k in labels && (v === undefined || labels[k] === v);
}

async function tag(d: ApiDeps, { res, params, query }: Ctx): Promise<void> {
  const img = d.images.find(params.name);
  if (img === BUSYBOX) throw new InvalidArgument('busybox is built into weft and cannot be tagged');
  const repo = query.get('repo') ?? '';
  const t = query.get('tag') ?? '';
  const ref = normaliseReference(t ? `${repo}:${t}` : repo);
  await d.images.store.serial.run(async () => d.images.store.tags.set(ref, img.id));
  sendEmpty(res, 201);
}

async function remove(d: ApiDeps, { res, params, query }: Ctx): Promise<void> {
  if (!d.images.store.find(params.name) && isBuiltin(params.name)) {
    throw new Conflict('conflict: unable to delete busybox (cannot be forced) - it is built into weft');
  }
  sendJson(res, 200, await removeImage(d.images.store, params.name, qbool(query.get('force')), usersOf(d)));
}

async function prune(d: ApiDeps, { res, query }: Ctx): Promise<void> {
  const f = parseFilters(query.get('filters'), ['dangling']);
  const dangling = f.get('dangling')?.[0];
  const { deleted, reclaimed } = await pruneImages(d.images.store, dangling !== undefined && !qbool(dangling), usersOf(d));
  sendJson(res, 200, { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed });
}

export function imageRoutes(d: ApiDeps): Route[] {
  return [
    ...imageTransferRoutes(d),
    // weft has no volumes: an empty list, so scripts that look for theirs see none.
    { method: 'GET', path: '/volumes', handler: ({ res }) => sendJson(res, 200, { Volumes: [], Warnings: null }) },
    { method: 'GET', path: '/images/json', handler: (ctx) => list(d, ctx) },
    { method: 'POST', path: '/images/prune', handler: (ctx) => prune(d, ctx) },
    { method: 'GET', path: '/images/:name*/json', handler: ({ res, params }) => {
      const img = d.images.find(params.name);
      sendJson(res, 200, imageInspectJson(img, d.images.lowerDirs(img)));
    } },
    { method: 'POST', path: '/images/:name*/tag', handler: (ctx) => tag(d, ctx) },
    { method: 'DELETE', path: '/images/:name*', handler: (ctx) => remove(d, ctx) },
  ];
}
