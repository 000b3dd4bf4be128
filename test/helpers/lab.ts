/**
 * Throwaway network namespaces for tests. Every namespace a test makes is named with a
 * `weft-t-` prefix and random suffix, tracked, and removed by destroy() — call it from
 * afterAll/afterEach so a failing test still cleans up. Nothing here touches the
 * machine's own namespace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';

export interface LabNs {
  name: string;
  path: string;
  /** Run a command inside the namespace; throws on non-zero exit. */
  sh(cmd: string): string;
  /** Run and return status/output without throwing. */
  try(cmd: string): { code: number; out: string };
  destroy(): void;
}

export function makeNs(prefix = 'x'): LabNs {
  const name = `weft-t-${prefix}-${crypto.randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name]);
  const ns: LabNs = {
    name,
    path: `/run/netns/${name}`,
    sh(cmd) {
      return execFileSync('ip', ['netns', 'exec', name, 'sh', '-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    },
    try(cmd) {
      const r = spawnSync('ip', ['netns', 'exec', name, 'sh', '-c', cmd], { encoding: 'utf8' });
      return { code: r.status ?? -1, out: (r.stdout ?? '') + (r.stderr ?? '') };
    },
    destroy() {
      spawnSync('ip', ['netns', 'del', name]);
    },
  };
  ns.sh('ip link set lo up');
  return ns;
}
