/**
 * After a restart: load the store, roll back what a crash left half-made, re-pin
 * namespaces of containers that still run, drop sandboxes whose container is gone, and
 * make the kernel match the records again (drivers re-create lost bridges, rules, ports).
 */
import type { Endpoints } from './endpoints.js';
import { collectIpamGarbage } from './ipam-gc.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './model.js';
import type { Networks } from './networks.js';
import type { Sandboxes } from './sandboxes.js';
import { EP, NET, SB, sbInfo, type ControllerState } from './state.js';

export interface ReconcileParts {
  networks: Networks;
  endpoints: Endpoints;
  sandboxes: Sandboxes;
}

/**
 * `running(containerId)` returns the pid of a still-running container, undefined otherwise.
 * Returns the cluster store revision the global networks were read at (undefined outside a cluster).
 */
export async function reconcile(
  s: ControllerState, parts: ReconcileParts, running: (containerId: string) => number | undefined,
): Promise<number | undefined> {
  const clusterRevision = await load(s);
  for (const sb of [...s.sandboxes.values()]) {
    const pid = running(sb.containerId);
    if (sb.nsPath && pid !== undefined && !s.o.os.isPinned(sb.nsPath)) s.o.os.pinProcessNamespace(pid, sb.nsPath);
    if (pid === undefined) {
      s.logger.info({ sandbox: sb.id }, 'container gone while the daemon was down; releasing its sandbox');
      await parts.sandboxes.delete(sb.id);
    }
  }
  for (const ep of [...s.endpoints.values()]) {
    if (ep.state !== 'ready' || !s.sandboxes.has(ep.sandboxId)) await parts.endpoints.remove(ep, { force: true });
  }
  for (const n of [...s.networks.values()]) {
    if (n.state !== 'ready') {
      s.logger.info({ network: n.name }, 'rolling back a network left half-made');
      await parts.networks.destroy(n).catch((err) => s.logger.error({ err }, 'rollback failed'));
    }
  }
  await restoreNetworks(s);
  for (const sb of s.sandboxes.values()) {
    const gw = sb.gatewayEndpoint && s.endpoints.get(sb.gatewayEndpoint);
    if (gw) await s.setGateway(sb, gw);
  }
  await collectIpamGarbage(s);
  return clusterRevision;
}

/** Records into memory: local ones, and the finished global networks of the cluster store. */
async function load(s: ControllerState): Promise<number | undefined> {
  for (const r of await s.store.list<NetworkRecord>(NET)) s.networks.set(r.value.id, r.value);
  // Only finished global networks: a half-made one belongs to the host that was making it.
  const clusterNets = await s.o.cluster?.store.snapshot<NetworkRecord>(NET);
  for (const r of clusterNets?.records ?? []) if (r.value.state === 'ready') s.networks.set(r.value.id, r.value);
  for (const r of await s.store.list<EndpointRecord>(EP)) s.endpoints.set(r.value.id, r.value);
  for (const r of await s.store.list<SandboxRecord>(SB)) s.sandboxes.set(r.value.id, r.value);
  return clusterNets?.revision;
}

/**
 * Have every driver re-create what its networks and endpoints need (bridges, rules,
 * published ports). Idempotent: used at start and after the firewall was flushed.
 */
export async function restoreNetworks(s: ControllerState): Promise<void> {
  for (const n of [...s.networks.values()]) {
    if (n.state !== 'ready') continue;
    const eps = s.endpointsOf(n.id)
      .filter((ep) => ep.state === 'ready' && s.sandboxes.has(ep.sandboxId))
      .map((ep) => ({ ep, sb: sbInfo(s.sandboxes.get(ep.sandboxId)!) }));
    await s.driverOf(n).restoreNetwork(n, eps);
  }
}
