/**
 * After a daemon restart: load every container record, re-adopt the processes that still
 * run, and record the exits that happened while the daemon was down. Once the controller
 * has reconciled the endpoints, hold the host ports of the running containers again.
 */
import fs from 'node:fs';
import type pino from 'pino';
import type { HostPorts } from '../contracts/host-ports.js';
import type { ProcessSpec, Runtime } from '../contracts/runtime.js';
import type { Store } from '../contracts/store.js';
import type { Controller } from '../controller/controller.js';
import { alignNetworkList, type NetworkSource } from './network-lists.js';
import { removeOrphans } from './orphans.js';
import { CONTAINER_KEY_PREFIX, type ContainerRecord } from './records.js';

export interface RestoreDeps {
  store: Store;
  runtime: Runtime;
  /** Takes a loaded record into the service's table. */
  add(c: ContainerRecord): void;
  spec(c: ContainerRecord): ProcessSpec;
  save(c: ContainerRecord): Promise<void>;
  containersDir: string;
  logger: pino.Logger;
}

/**
 * Returns the pid of every container still running, by id. Container processes no running
 * record owns are killed first, so the controller's reconcile finds their namespaces unused.
 */
export async function restoreContainers(d: RestoreDeps): Promise<Map<string, number>> {
  const alive = new Map<string, number>();
  const records = await d.store.list<ContainerRecord>(CONTAINER_KEY_PREFIX);
  for (const r of records) {
    const c = r.value;
    // Every record has its directory from create on; without it, a removal was cut short
    // after the runtime's part: finish it (the sandbox went before, in ContainerService.destroy).
    if (!fs.existsSync(d.spec(c).dir)) {
      d.logger.info({ container: c.id }, 'finishing the removal of a container whose directory is gone');
      await d.store.delete(r.key);
      continue;
    }
    d.add(c);
    if (c.status !== 'running') continue;
    const st = await d.runtime.adopt(d.spec(c));
    if (st) {
      alive.set(c.id, st.pid);
    } else {
      c.status = 'exited';
      c.exitCode = d.runtime.exitCode(d.spec(c)) ?? 255;
      c.finishedAt = new Date().toISOString();
      await d.save(c);
    }
  }
  await removeOrphans(d, new Set(records.map((r) => r.value.id)), new Set(alive.keys()));
  return alive;
}

/** After the controller's reconcile: each running container lists exactly the networks it has an endpoint on. */
export async function alignNetworkLists(
  containers: Iterable<ContainerRecord>, ctl: NetworkSource, save: (c: ContainerRecord) => Promise<void>,
): Promise<void> {
  for (const c of containers) if (alignNetworkList(c, ctl)) await save(c);
}

export type EndpointSource = Pick<Controller, 'sandboxEndpoints' | 'getNetworkById'>;

/**
 * Hold again the host ports running containers were given: the endpoints record the
 * assigned bindings (a random port as picked, one port of a requested range), where the
 * container record keeps only what was asked for. An internal network publishes nothing,
 * so its endpoints hold no port.
 */
export function restoreHostPorts(containers: Iterable<ContainerRecord>, ctl: EndpointSource, hostPorts: HostPorts): void {
  for (const c of containers) {
    if (c.status !== 'running') continue;
    const published = ctl.sandboxEndpoints(c.id).filter((ep) => {
      const n = ctl.getNetworkById(ep.networkId);
      return n !== undefined && !n.internal;
    });
    const bindings = published.flatMap((ep) => ep.portBindings);
    if (bindings.length) hostPorts.restore(c.id, bindings);
  }
}
