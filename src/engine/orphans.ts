/**
 * Reconcile rules for container processes and directories at daemon start (the README's
 * table "after a crash"): the container records decide. A process no running record owns
 * — started just before a crash, before its record said "running", or left by a removal cut
 * short — is killed, so its namespace, veths and address go with it; a directory no record
 * has (a create cut short) is removed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type pino from 'pino';
import type { Runtime } from '../contracts/runtime.js';

export interface OrphanDeps {
  runtime: Runtime;
  containersDir: string;
  logger: pino.Logger;
}

/** `records`: ids of every container record; `adopted`: those whose process runs and was re-adopted. */
export async function removeOrphans(d: OrphanDeps, records: Set<string>, adopted: Set<string>): Promise<void> {
  if (!fs.existsSync(d.containersDir)) return;
  for (const id of fs.readdirSync(d.containersDir)) {
    if (adopted.has(id)) continue;
    const dir = path.join(d.containersDir, id);
    const pids = await d.runtime.killStrays(dir);
    if (pids.length) d.logger.info({ container: id, pids }, 'killed a container process no record owns');
    if (records.has(id)) continue;
    d.logger.info({ container: id }, 'removing the directory of a container no record has');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
