/**
 * After a daemon restart: load every container record, re-adopt the processes that still
 * run (their host ports held again), and record the exits that happened while the daemon
 * was down.
 */
import type { HostPorts } from '../contracts/host-ports.js';
import type { ProcessSpec, Runtime } from '../contracts/runtime.js';
import type { Store } from '../contracts/store.js';
import { CONTAINER_KEY_PREFIX, type ContainerRecord } from './records.js';

export interface RestoreDeps {
  store: Store;
  runtime: Runtime;
  hostPorts: HostPorts;
  /** Takes a loaded record into the service's table. */
  add(c: ContainerRecord): void;
  spec(c: ContainerRecord): ProcessSpec;
  save(c: ContainerRecord): Promise<void>;
}

/** Returns the pid of every container still running, by id. */
export async function restoreContainers(d: RestoreDeps): Promise<Map<string, number>> {
  const alive = new Map<string, number>();
  for (const r of await d.store.list<ContainerRecord>(CONTAINER_KEY_PREFIX)) {
    const c = r.value;
    d.add(c);
    if (c.status !== 'running') continue;
    const st = await d.runtime.adopt(d.spec(c));
    if (st) {
      alive.set(c.id, st.pid);
      d.hostPorts.restore(c.id, c.portBindings);
    } else {
      c.status = 'exited';
      c.exitCode = d.runtime.exitCode(d.spec(c)) ?? 255;
      c.finishedAt = new Date().toISOString();
      await d.save(c);
    }
  }
  return alive;
}
