/**
 * `docker rmi` and `docker image prune` with dockerd's rules: a tag is untagged, and the
 * image goes with its last tag; by id an image with several tags needs force; an image a
 * container uses (running or not) is never deleted, since its layers are that container's
 * root — force then only untags.
 */
import { Conflict, NotFound } from '../util/errors.js';
import type { ImageStore, StoredImage } from './store.js';

/** A container that uses an image. */
export interface ImageUser {
  id: string;
  running: boolean;
}

export type DeleteItem = { Untagged: string } | { Deleted: string };

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

function deleteImage(store: ImageStore, image: StoredImage): DeleteItem[] {
  for (const t of image.tags) store.tags.delete(t);
  const layers = store.remove(image.id);
  return [...image.tags.map((t) => ({ Untagged: t })), { Deleted: image.id }, ...layers.map((l) => ({ Deleted: l }))];
}

function removeByTag(store: ImageStore, tag: string, image: StoredImage, force: boolean, users: ImageUser[]): DeleteItem[] {
  const last = image.tags.length === 1;
  if (last && users.length && !force) {
    throw new Conflict(`conflict: unable to remove repository reference "${tag}" (must force) - container ${short(users[0].id)} ` +
      `is using its referenced image ${short(image.id)}`);
  }
  store.tags.delete(tag);
  if (!last || users.length) return [{ Untagged: tag }];
  return deleteImage(store, { ...image, tags: [tag] });
}

function removeById(store: ImageStore, image: StoredImage, force: boolean, users: ImageUser[]): DeleteItem[] {
  const running = users.find((u) => u.running);
  if (running) {
    throw new Conflict(`conflict: unable to delete ${short(image.id)} (cannot be forced) - image is being used by running container ` +
      short(running.id));
  }
  if (!force && image.tags.length > 1) {
    throw new Conflict(`conflict: unable to delete ${short(image.id)} (must be forced) - image is referenced in multiple repositories`);
  }
  if (users.length) {
    if (!force) {
      throw new Conflict(`conflict: unable to delete ${short(image.id)} (must be forced) - image is being used by stopped container ` +
        short(users[0].id));
    }
    for (const t of image.tags) store.tags.delete(t);
    return image.tags.map((t) => ({ Untagged: t }));
  }
  return deleteImage(store, image);
}

export function removeImage(
  store: ImageStore, ref: string, force: boolean, usersOf: (imageId: string) => ImageUser[],
): Promise<DeleteItem[]> {
  return store.serial.run(async () => {
    const image = store.find(ref);
    if (!image) throw new NotFound(`No such image: ${ref}`);
    const tag = store.tags.tagged(ref);
    const users = usersOf(image.id);
    return tag ? removeByTag(store, tag, image, force, users) : removeById(store, image, force, users);
  });
}

/** Unused images: untagged ones only, or (all) every image no container uses. */
export function pruneImages(
  store: ImageStore, all: boolean, usersOf: (imageId: string) => ImageUser[],
): Promise<{ deleted: DeleteItem[]; reclaimed: number }> {
  return store.serial.run(async () => {
    const doomed = store.list().filter((i) => (all || !i.tags.length) && !usersOf(i.id).length);
    const deleted = doomed.flatMap((i) => deleteImage(store, i));
    return { deleted, reclaimed: doomed.reduce((n, i) => n + i.size, 0) };
  });
}
