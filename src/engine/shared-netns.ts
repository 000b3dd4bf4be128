/**
 * NetworkMode "container:<id|name>": a container that runs in another one's network
 * namespace, with no endpoints of its own, using that container's /etc files and hostname
 * (as dockerd does). It starts only while the other one runs.
 */
import { Conflict, InvalidArgument } from '../util/errors.js';
import type { ContainerRecord } from './records.js';

const PREFIX = 'container:';

/** The other container's reference, when the mode is "container:<ref>". */
export function sharedNetnsRef(mode: string): string | undefined {
  return mode.startsWith(PREFIX) ? mode.slice(PREFIX.length) : undefined;
}

/** c, ready to start in owner's (named ref) namespace, its hostname the owner's; refused as dockerd refuses. */
export function joinableOwner(c: ContainerRecord, ref: string, owner: ContainerRecord): ContainerRecord {
  if (owner.id === c.id) throw new InvalidArgument('cannot join own network');
  if (owner.status !== 'running') throw new Conflict(`cannot join network of a non running container: ${ref}`);
  c.hostname = owner.hostname;
  return c;
}
