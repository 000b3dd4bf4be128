/**
 * Container names: the name a create gets (given, or generated like Docker's
 * adjective_scientist), and lookup by id, name or id prefix.
 */
import { Conflict, InvalidArgument, NotFound } from '../util/errors.js';
import { isValidName } from '../util/ids.js';
import type { ContainerRecord } from './records.js';

/** The name for a new container: the requested one if valid and free, else a generated one. */
export function claimName(requested: string | undefined, all: Iterable<ContainerRecord>): string {
  const existing = [...all];
  const name = requested || generateName(new Set(existing.map((c) => c.name)));
  if (!isValidName(name)) throw new InvalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  const clash = existing.find((c) => c.name === name);
  if (clash) {
    throw new Conflict(`Conflict. The container name "/${name}" is already in use by container "${clash.id}". `
      + 'You have to remove (or rename) that container to be able to reuse that name.');
  }
  return name;
}

/** By full id, exact name (with or without the leading "/"), or unique id prefix. */
export function findContainer(all: Iterable<ContainerRecord>, ref: string): ContainerRecord {
  const list = [...all];
  const name = ref.replace(/^\//, '');
  const hit = list.find((c) => c.id === ref) ?? list.find((c) => c.name === name);
  if (hit) return hit;
  const byPrefix = ref ? list.filter((c) => c.id.startsWith(ref)) : [];
  if (byPrefix.length === 1) return byPrefix[0];
  throw new NotFound(`No such container: ${ref}`);
}

const ADJ = ['brave', 'calm', 'eager', 'fond', 'keen', 'lucid', 'merry', 'quiet', 'swift', 'witty'];
const NOUN = ['bell', 'curie', 'hopper', 'knuth', 'lovelace', 'noether', 'ritchie', 'shannon', 'turing', 'wozniak'];

function generateName(taken: Set<string>): string {
  for (;;) {
    const n = `${ADJ[Math.floor(Math.random() * ADJ.length)]}_${NOUN[Math.floor(Math.random() * NOUN.length)]}`;
    const name = taken.has(n) ? `${n}${Math.floor(Math.random() * 1000)}` : n;
    if (!taken.has(name)) return name;
  }
}
