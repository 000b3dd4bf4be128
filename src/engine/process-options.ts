/** What of a container's kept HostConfig shapes its process: tmpfs mounts, groups, namespaces, init. */
import type { ProcessSpec } from '../contracts/runtime.js';
import type { ContainerRecord } from './records.js';

type ProcessOptions = Pick<ProcessSpec, 'tmpfs' | 'groups' | 'hostPid' | 'hostUts' | 'init'>;

export function processOptions(c: ContainerRecord): ProcessOptions {
  const hc = c.kept?.hostConfig ?? {};
  const o: ProcessOptions = {};
  if (hc.Tmpfs && Object.keys(hc.Tmpfs).length) o.tmpfs = hc.Tmpfs as { [path: string]: string };
  if (Array.isArray(hc.GroupAdd) && hc.GroupAdd.length) o.groups = hc.GroupAdd as string[];
  if (hc.PidMode === 'host') o.hostPid = true;
  if (hc.UTSMode === 'host') o.hostUts = true;
  if (hc.Init === true) o.init = true;
  return o;
}
