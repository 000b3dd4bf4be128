/**
 * API versions: the range weft speaks and the version of one request (its `/vX.Y` prefix,
 * or the newest when it has none, as dockerd), so a view can follow what each version adds
 * or drops (moby's api/docs/CHANGELOG.md).
 */
import type { IncomingMessage } from 'node:http';

export const API_VERSION = '1.52';
export const MIN_API_VERSION = '1.24';

export function cmpVersion(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am - bm || an - bn;
}

export function requestVersion(req: IncomingMessage): string {
  return /^\/v(\d+\.\d+)(\/|$|\?)/.exec(req.url ?? '')?.[1] ?? API_VERSION;
}

export function atLeast(req: IncomingMessage, version: string): boolean {
  return cmpVersion(requestVersion(req), version) >= 0;
}
