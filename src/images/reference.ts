/**
 * Image references in the familiar form dockerd shows: `docker.io/library/app` is `app`,
 * and a name without tag means `:latest`. Digests are not kept (weft has no registry).
 */
import { InvalidArgument } from '../util/errors.js';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const HOST = '(?:[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*(?::[0-9]+)?/)';
const NAME = new RegExp(`^${HOST}?${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;

/** Splits name:tag (the tag after the last slash); tag is '' when absent. */
export function splitReference(ref: string): { name: string; tag: string } {
  const at = ref.lastIndexOf(':');
  if (at > ref.lastIndexOf('/')) return { name: ref.slice(0, at), tag: ref.slice(at + 1) };
  return { name: ref, tag: '' };
}

/** The familiar name:tag of a reference, or an InvalidArgument in dockerd's words. */
export function normaliseReference(ref: string, defaultTag = 'latest'): string {
  if (ref.includes('@')) throw new InvalidArgument(`invalid reference format: weft keeps no digests (${ref})`);
  const { name, tag } = splitReference(ref);
  if (name !== name.toLowerCase()) throw new InvalidArgument(`invalid reference format: repository name (${name}) must be lowercase`);
  if (!NAME.test(name) || (tag && !TAG.test(tag))) throw new InvalidArgument('invalid reference format');
  const familiar = name.replace(/^(?:docker\.io|index\.docker\.io)\//, '').replace(/^library\/(?=[^/]+$)/, '');
  return `${familiar}:${tag || defaultTag}`;
}

/** A reference that may be an image id instead: its hex digits (a prefix of at least one), else undefined. */
export function idPrefixOf(ref: string): string | undefined {
  const m = /^(?:sha256:)?([0-9a-f]{1,64})$/.exec(ref);
  return m ? m[1] : undefined;
}
