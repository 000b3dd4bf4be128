/**
 * Reconcile rules for sandboxes and their namespace mounts (see the README's table "after
 * a crash"): the store's sandboxes are checked against the running containers and the
 * mounts under the run dir's netns directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SandboxRecord } from './model.js';
import type { Sandboxes } from './sandboxes.js';
import type { ControllerState } from './state.js';

/** A sandbox's namespace file is the first 12 hex digits of its container id (Sandboxes.create). */
const SANDBOX_NS = /^[0-9a-f]{12}$/;

/**
 * A sandbox whose container runs keeps its namespace, pinned again from the process if the
 * mount is lost or is no namespace any more; a sandbox whose container is gone, or whose
 * namespace cannot be pinned again, is released.
 */
export async function reconcileSandboxes(
  s: ControllerState, sandboxes: Sandboxes, running: (containerId: string) => number | undefined,
): Promise<void> {
  for (const sb of [...s.sandboxes.values()]) {
    const pid = running(sb.containerId);
    if (pid !== undefined && repin(s, sb, pid)) continue;
    s.logger.info({ sandbox: sb.id }, pid === undefined
      ? 'container gone while the daemon was down; releasing its sandbox'
      : 'the sandbox\'s namespace cannot be found again; releasing the sandbox');
    await sandboxes.delete(sb.id);
  }
}

/** Whether the sandbox of a running container has its namespace (pinned again if needed). */
function repin(s: ControllerState, sb: SandboxRecord, pid: number): boolean {
  const { os } = s.o;
  if (!sb.nsPath || os.isPinned(sb.nsPath)) return true;
  try {
    os.deleteNamespace(sb.nsPath); // whatever is left at the path: a plain file, a mount of something else
    os.pinProcessNamespace(pid, sb.nsPath);
    return os.isPinned(sb.nsPath);
  } catch (err) {
    s.logger.warn({ err, sandbox: sb.id, pid }, 'pinning the namespace of a running container failed');
    return false;
  }
}

/** Namespace mounts (and files) of sandboxes no record has are removed; overlay namespaces are the overlay's. */
export function sweepNamespaces(s: ControllerState): void {
  const dir = s.o.netnsDir;
  if (!fs.existsSync(dir)) return;
  const owned = new Set([...s.sandboxes.values()].map((sb) => sb.nsPath).filter(Boolean));
  for (const name of fs.readdirSync(dir)) {
    const nsPath = path.join(dir, name);
    if (!SANDBOX_NS.test(name) || owned.has(nsPath)) continue;
    s.logger.info({ nsPath }, 'removing a namespace no sandbox owns');
    s.o.os.deleteNamespace(nsPath);
  }
}
