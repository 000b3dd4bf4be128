/**
 * Endpoints: connecting a sandbox to a network (record, addresses, driver endpoint, join,
 * external connectivity, default route, cluster publication, weft_gwbridge for overlays)
 * and disconnecting it again. Each connect step pushes its undo; a failure undoes them all.
 */
import type { IpamData, NetworkDriver } from '../contracts/driver.js';
import type { IpamDriver } from '../contracts/ipam.js';
import { Conflict, InvalidArgument, NotFound } from '../util/errors.js';
import { cidrContains, splitCidr } from '../util/ip.js';
import { macFor, newId } from '../util/ids.js';
import { Undo } from '../util/undo.js';
import { publishEndpoint, unpublishEndpoint } from './cluster-publish.js';
import { DefaultGateway } from './gateway.js';
import type { ConnectRequest, EndpointRecord, NetworkRecord, SandboxRecord } from './model.js';
import type { Networks } from './networks.js';
import { EP, SB, poolFor, sbInfo, type ControllerState } from './state.js';
import { validateConnect } from './validation.js';
import { failpoint } from '../util/failpoint.js';

export interface RemoveOptions {
  /** Continue past driver failures (teardown of a container that is gone). */
  force?: boolean;
  /** The sandbox's namespace is going away with it. */
  closing?: boolean;
}

export class Endpoints {
  private readonly gateway: DefaultGateway;

  constructor(private readonly s: ControllerState, networks: Networks) {
    this.gateway = new DefaultGateway(s, networks, this);
  }

  async connect(sandboxId: string, n: NetworkRecord, req: ConnectRequest): Promise<EndpointRecord> {
    const sb = this.s.sandboxes.get(sandboxId);
    if (!sb) throw new NotFound(`sandbox for container ${sandboxId} not found`);
    return this.s.locks.run(SB + sandboxId, () => this.connectLocked(sb, n, req));
  }

  /** connect() for a caller that holds the sandbox's lock. */
  async connectLocked(sb: SandboxRecord, n: NetworkRecord, req: ConnectRequest): Promise<EndpointRecord> {
    // The network may have been removed while this connect waited for the sandbox's lock.
    if (this.s.networks.get(n.id)?.state !== 'ready') throw new NotFound(`network ${n.name} not found`);
    const driver = this.s.driverOf(n);
    const current = this.s.sandboxEndpoints(sb.id);
    validateConnect(sb, n, req, current);
    const ep: EndpointRecord = {
      id: newId(),
      name: req.name,
      networkId: n.id,
      sandboxId: sb.id,
      ifName: nextIfName(current.map((e) => e.ifName)),
      mac: '',
      aliases: [...(req.aliases ?? [])],
      portBindings: [...(req.portBindings ?? [])],
      driverState: {},
      ...(req.ipv4 ? { requestedIpv4: req.ipv4 } : {}),
      ...(req.ipv6 ? { requestedIpv6: req.ipv6 } : {}),
      state: 'creating',
    };
    const undo = new Undo(this.s.logger);
    try {
      await this.build(sb, n, driver, ep, undo);
      this.s.logger.info({ network: n.name, endpoint: ep.id, ip: ep.ipv4, ip6: ep.ipv6, sandbox: sb.id }, 'endpoint joined');
      return ep;
    } catch (err) {
      await undo.run();
      throw err;
    }
  }

  /** The steps of a connect, each pushing its undo. */
  private async build(sb: SandboxRecord, n: NetworkRecord, driver: NetworkDriver, ep: EndpointRecord, undo: Undo): Promise<void> {
    const { store } = this.s;
    this.s.endpoints.set(ep.id, ep);
    undo.push(() => { this.s.endpoints.delete(ep.id); });
    await store.put(EP + ep.id, ep);
    undo.push(() => store.delete(EP + ep.id));
    if (driver.capability.needsIpam) await this.allocateAddresses(n, ep, undo);
    ep.mac = macFor(ep.ipv4 && splitCidr(ep.ipv4).ip);
    // No write here: a crash before 'ready' is rolled back by reconcile from the
    // 'creating' record (drivers derive their interface names from the endpoint id,
    // and the address, not yet recorded, is released by the IPAM garbage collection).
    // …except in the global address space, which no host garbage-collects alone: there
    // the record must name the address before a crash could orphan it.
    if (n.scope !== 'local' && (ep.ipv4 || ep.ipv6)) await store.put(EP + ep.id, ep);
    await driver.createEndpoint(n, ep);
    undo.push(() => driver.deleteEndpoint(n, ep));
    const joined = await driver.join(n, ep, sbInfo(sb));
    undo.push(() => driver.leave(n, ep, sbInfo(sb)));
    if (joined.gateway4) ep.gateway4 = joined.gateway4;
    if (joined.gateway6) ep.gateway6 = joined.gateway6;
    await driver.programExternalConnectivity(n, ep);
    undo.push(() => driver.revokeExternalConnectivity(n, ep));
    failpoint('endpoint.create.published');
    ep.state = 'ready';
    if (!sb.gatewayEndpoint && (ep.gateway4 || ep.gateway6)) await this.s.setGateway(sb, ep);
    await store.put(EP + ep.id, ep);
    if (n.scope !== 'local') await this.joinCluster(sb, n, ep, undo);
  }

  private async allocateAddresses(n: NetworkRecord, ep: EndpointRecord, undo: Undo): Promise<void> {
    const ipam = this.s.ipamOf(n)!;
    if (n.ipv4.length) {
      ep.ipv4 = await allocateAddress(ipam, n.ipv4, ep.requestedIpv4, n.name);
      undo.push(() => ipam.releaseAddress(poolFor(n.ipv4, ep.ipv4!).poolId, ep.ipv4!));
    }
    if (n.enableIPv6 && n.ipv6.length) {
      ep.ipv6 = await allocateAddress(ipam, n.ipv6, ep.requestedIpv6, n.name);
      undo.push(() => ipam.releaseAddress(poolFor(n.ipv6, ep.ipv6!).poolId, ep.ipv6!));
    }
  }

  /** A global network's endpoint: published to the cluster, and a way out through weft_gwbridge. */
  private async joinCluster(sb: SandboxRecord, n: NetworkRecord, ep: EndpointRecord, undo: Undo): Promise<void> {
    await publishEndpoint(this.s, ep);
    undo.push(() => unpublishEndpoint(this.s, ep));
    // Overlays have no gateway of their own: a way out through weft_gwbridge, which
    // also carries the endpoint's published ports (as docker_gwbridge does).
    if (n.internal || sb.gatewayEndpoint) return;
    const gw = await this.gateway.attach(sb, ep.portBindings);
    if (gw) undo.push(() => this.remove(gw, { force: true }));
    if (gw && ep.portBindings.length) {
      ep.portBindings = [];
      await this.s.store.put(EP + ep.id, ep);
    }
  }

  async disconnect(sandboxId: string, n: NetworkRecord, opts: { force?: boolean } = {}): Promise<void> {
    await this.s.locks.run(SB + sandboxId, async () => {
      const ep = [...this.s.endpoints.values()].find((e) => e.sandboxId === sandboxId && e.networkId === n.id);
      if (!ep) throw new NotFound(`container ${sandboxId.slice(0, 12)} is not connected to network ${n.name}`);
      await this.remove(ep, opts);
    });
  }

  /** Take an endpoint down: cluster record, driver state, addresses, record, default route. */
  async remove(ep: EndpointRecord, opts: RemoveOptions): Promise<void> {
    const n = this.s.networks.get(ep.networkId);
    const sb = this.s.sandboxes.get(ep.sandboxId);
    ep.state = 'deleting';
    await this.s.store.put(EP + ep.id, ep);
    if (n && n.scope !== 'local') {
      // First, so other hosts stop sending to it while it is taken down.
      await unpublishEndpoint(this.s, ep)
        .catch((err) => this.s.logger.warn({ err, endpoint: ep.id }, 'unpublishing the endpoint failed'));
    }
    if (n) await this.release(n, ep, sb, opts);
    this.s.endpoints.delete(ep.id);
    await this.s.store.delete(EP + ep.id);
    if (sb && sb.gatewayEndpoint === ep.id) {
      sb.gatewayEndpoint = undefined;
      const next = this.s.sandboxEndpoints(sb.id).find((e) => e.gateway4 || e.gateway6);
      if (next) await this.s.setGateway(sb, next);
      else await this.s.store.put(SB + sb.id, sb);
    }
    this.s.logger.info({ endpoint: ep.id, network: n?.name }, 'endpoint removed');
    if (n && n.scope !== 'local' && sb && !opts.closing) await this.gateway.detachIfUnneeded(sb);
  }

  /** The driver's and the IPAM's share of a removal. */
  private async release(n: NetworkRecord, ep: EndpointRecord, sb: SandboxRecord | undefined, opts: RemoveOptions): Promise<void> {
    const driver = this.s.driverOf(n);
    const step = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        if (!opts.force) throw err;
        this.s.logger.warn({ err, endpoint: ep.id }, `${what} failed; continuing (forced)`);
      }
    };
    await step('revoke', () => driver.revokeExternalConnectivity(n, ep));
    if (sb) await step('leave', () => driver.leave(n, ep, { ...sbInfo(sb), ...(opts.closing ? { closing: true } : {}) }));
    await step('delete endpoint', () => driver.deleteEndpoint(n, ep));
    const ipam = this.s.ipamOf(n);
    if (ipam && ep.ipv4) await ipam.releaseAddress(poolFor(n.ipv4, ep.ipv4).poolId, ep.ipv4);
    if (ipam && ep.ipv6) await ipam.releaseAddress(poolFor(n.ipv6, ep.ipv6).poolId, ep.ipv6);
  }
}

async function allocateAddress(ipam: IpamDriver, pools: IpamData[], wanted: string | undefined, netName: string): Promise<string> {
  if (wanted) {
    const pool = pools.find((p) => cidrContains(p.subnet, wanted));
    if (!pool) throw new InvalidArgument(`no configured subnet or ip-range contain the IP address ${wanted}`);
    return ipam.requestAddress(pool.poolId, wanted);
  }
  let last: unknown;
  for (const p of pools) {
    try {
      return await ipam.requestAddress(p.poolId);
    } catch (err) {
      last = err;
    }
  }
  throw last ?? new Conflict(`no available addresses on network ${netName}`);
}

function nextIfName(used: string[]): string {
  for (let i = 0; ; i++) if (!used.includes(`eth${i}`)) return `eth${i}`;
}
