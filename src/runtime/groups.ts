/** HostConfig.GroupAdd as setpriv sets it: names resolved in the image's /etc/group, not the host's. */
import fs from 'node:fs';
import { inRoot } from './layers.js';
import type { ProcessSpec } from '../contracts/runtime.js';

/** The argv prefix that gives what follows the container's supplementary groups; none without GroupAdd. */
export function groupsPrefix(spec: ProcessSpec): string[] {
  if (!spec.groups?.length) return [];
  return ['/usr/bin/setpriv', `--groups=${spec.groups.map((g) => groupId(spec.rootfs, g)).join(',')}`];
}

function groupId(rootfs: string, group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  let text = '';
  try {
    text = fs.readFileSync(inRoot(rootfs, 'etc/group') ?? '', 'utf8');
  } catch {
    // no group file: every name is unknown
  }
  const entry = text.split('\n').map((l) => l.split(':')).find((f) => f[0] === group && /^\d+$/.test(f[2] ?? ''));
  if (!entry) throw new Error(`Unable to find group ${group}: no matching entries in group file`);
  return Number(entry[2]);
}
