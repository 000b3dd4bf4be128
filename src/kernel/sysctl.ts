/**
 * sysctls under /proc/sys/net are per network namespace, resolved when the file is
 * opened; writing from inside inNetns (synchronously) targets the wanted namespace.
 */
import fs from 'node:fs';
import { inNetns } from './netns.js';

export function writeSysctl(key: string, value: string, nsPath?: string): void {
  inNetns(nsPath, () => fs.writeFileSync(`/proc/sys/${key}`, value));
}

export function readSysctl(key: string, nsPath?: string): string {
  return inNetns(nsPath, () => fs.readFileSync(`/proc/sys/${key}`, 'utf8').trim());
}
