/**
 * After a restart: load the store, roll back what a crash left half-made, re-pin
 * namespaces of containers that still run, drop sandboxes whose container is gone, and
 * make the kernel match the records again: drivers re-create lost bridges, rules and
 * ports, then remove what they made that no record owns; so do the namespace mounts.
 */
import type { RestoredNetwork, SandboxInfo } from '../contracts/driver.js';
import type { Endpoints } from './endpoints.js';
import { collectIpamGarbage } from './ipam-gc.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './model.js';
import type { Networks } from './networks.js';
import type { Sandboxes } from './sandboxes.js';
import { reconcileSandboxes, sweepNamespaces } from './sweep-sandboxes.js';
import { applyGateways } from './gateway-pick.js';
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
  await resolvePlugins(s);
  await reconcileSandboxes(s, parts.sandboxes, running);
  sweepNamespaces(s);
  for (const ep of [...s.endpoints.values()]) {
    if (ep.state !== 'ready' || !s.sandboxes.has(ep.sandboxId)) await parts.endpoints.remove(ep, { force: true });
  }
  for (const n of [...s.networks.values()]) {
    if (n.state !== 'ready') {
      s.logger.info({ network: n.name }, 'rolling back a network left half-made');
      await parts.networks.destroy(n, { force: s.isRemote(n) }).catch((err) => s.logger.error({ err }, 'rollback failed'));
    }
  }
  await rebuildNetworks(s, parts.endpoints);
  await sweepDrivers(s);
  for (const sb of s.sandboxes.values()) {
    // A container without its default route is a smaller harm than a daemon that does not start.
    if (!sb.gatewayEndpoint) continue;
    await applyGateways(s, sb).catch((err) => s.logger.error({ err, sandbox: sb.id }, 'restoring the default route failed'));
  }
  await collectIpamGarbage(s);
  return clusterRevision;
}

/** The plugins the stored networks name, activated; one that is not there is logged, and asked again when next used. */
async function resolvePlugins(s: ControllerState): Promise<void> {
  for (const n of s.networks.values()) {
    await s.resolve(n.driver, n.ipamDriver)
      .catch((err) => s.logger.warn({ err, network: n.name }, 'the network\'s plugin cannot be activated'));
    if (!s.drivers.has(n.driver)) s.logger.warn({ network: n.name, driver: n.driver }, 'no plugin implements the network\'s driver');
  }
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
  for (const { net, endpoints } of restorable(s)) await s.drivers.get(net.driver)?.restoreNetwork(net, endpoints);
}

/**
 * At start: as restoreNetworks, but an endpoint the driver cannot plumb again is rolled back
 * (its running container then lists the network no more: engine/network-lists.ts), so one
 * broken endpoint neither stops the daemon nor stays recorded without its kernel objects.
 */
async function rebuildNetworks(s: ControllerState, endpoints: Endpoints): Promise<void> {
  for (const { net, endpoints: eps } of restorable(s)) {
    const driver = s.drivers.get(net.driver);
    if (!driver) continue; // a plugin not there (resolvePlugins said so): its endpoints keep their interfaces
    try {
      await driver.restoreNetwork(net, eps);
      continue;
    } catch (err) {
      s.logger.warn({ err, network: net.name }, 'restoring the network failed; restoring its endpoints one by one');
    }
    for (const one of eps) {
      try {
        await driver.restoreNetwork(net, [one]);
      } catch (err) {
        s.logger.error({ err, network: net.name, endpoint: one.ep.id }, 'endpoint cannot be plumbed again; rolling it back');
        await endpoints.remove(one.ep, { force: true });
      }
    }
  }
}

type Restorable = RestoredNetwork & { net: NetworkRecord; endpoints: { ep: EndpointRecord; sb: SandboxInfo }[] };

/** Ready networks with their ready endpoints whose sandbox is there. */
function restorable(s: ControllerState): Restorable[] {
  return [...s.networks.values()].filter((n) => n.state === 'ready').map((net) => ({
    net,
    endpoints: s.endpointsOf(net.id)
      .filter((ep) => ep.state === 'ready' && s.sandboxes.has(ep.sandboxId))
      .map((ep) => ({ ep, sb: sbInfo(s.sandboxes.get(ep.sandboxId)!) })),
  }));
}

/**
 * Each driver removes its kernel objects no record owns. Only at start: at any other time
 * an operation in flight owns objects its record does not name yet.
 */
async function sweepDrivers(s: ControllerState): Promise<void> {
  const byDriver = new Map<string, RestoredNetwork[]>();
  for (const r of restorable(s)) byDriver.set(r.net.driver, [...(byDriver.get(r.net.driver) ?? []), r]);
  for (const driver of s.drivers.values()) {
    const removed = await driver.sweepStrays?.(byDriver.get(driver.name) ?? []);
    if (removed?.length) s.logger.info({ driver: driver.name, removed }, 'removed kernel objects no record owns');
  }
}
