/**
 * Endpoints: connecting a sandbox to a network (record, addresses, driver endpoint, join,
 * external connectivity, default route, cluster publication, weft_gwbridge for overlays)
 * and disconnecting it again. Each connect step pushes its undo; a failure undoes them all.
 *
 * Commits: a connect commits its intent — the record `creating` with its addresses and
 * the host ports it was given — in one unit before any kernel work, and its outcome
 * (`ready`, the sandbox's default route) in a second; a removal commits `deleting`, undoes
 * the kernel work, and then releases the addresses, drops the record and updates the
 * sandbox in one commit (or in the caller's unit, when a whole sandbox goes). Addresses of
 * a global network live in the cluster store, which no local commit can include: they are
 * committed on their own, reserved before and released after the local records that name them.
 */
import type { IpamData, NetworkDriver } from '../contracts/driver.js';
import type { IpamDriver } from '../contracts/ipam.js';
import type { Transaction } from '../contracts/store.js';
import { OPT_ENDPOINT_IFNAME } from '../contracts/network-options.js';
import { Conflict, InvalidArgument, NotFound } from '../util/errors.js';
import { cidrContains, splitCidr } from '../util/ip.js';
import { macFor, newId } from '../util/ids.js';
import { failpoint } from '../util/failpoint.js';
import { interfaceSysctls, OPT_ENDPOINT_SYSCTLS } from '../util/endpoint-sysctls.js';
import { Undo } from '../util/undo.js';
import { timed, type Operation } from '../metrics/registry.js';
import { publishEndpoint, unpublishEndpoint } from './cluster-publish.js';
import { DefaultGateway } from './gateway.js';
import { applyGateways } from './gateway-pick.js';
import type { ConnectRequest, EndpointRecord, NetworkRecord, SandboxRecord } from './model.js';
import type { Networks } from './networks.js';
import { afterCommit, publishNetworkEvent } from './network-events.js';
import { EP, SB, poolFor, sbInfo, type ControllerState } from './state.js';
import { claimed, remember, stickyPlan } from './sticky-ips.js';
import { validateConnect } from './validation.js';

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

  /** `into`: the unit the outcome (the record `ready`) goes in, which the caller commits. */
  async connect(sandboxId: string, n: NetworkRecord, req: ConnectRequest, into?: Transaction): Promise<EndpointRecord> {
    const sb = this.s.sandboxes.get(sandboxId);
    if (!sb) throw new NotFound(`sandbox for container ${sandboxId} not found`);
    return this.s.locks.run(SB + sandboxId, () => this.connectLocked(sb, n, req, into));
  }

  /** connect() for a caller that holds the sandbox's lock. */
  async connectLocked(sb: SandboxRecord, n: NetworkRecord, req: ConnectRequest, into?: Transaction): Promise<EndpointRecord> {
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
      ifName: req.driverOpts?.[OPT_ENDPOINT_IFNAME] || nextIfName(current.map((e) => e.ifName)),
      mac: req.macAddress ?? '',
      aliases: [...(req.aliases ?? [])],
      portBindings: [...(req.portBindings ?? [])],
      ...(req.linkLocalIps?.length ? { linkLocalIps: [...req.linkLocalIps] } : {}),
      ...(req.driverOpts ? { driverOpts: { ...req.driverOpts } } : {}),
      ...(req.links?.length ? { links: [...req.links] } : {}),
      ...(req.gwPriority ? { gwPriority: req.gwPriority } : {}),
      driverState: {},
      ...(req.ipv4 ? { requestedIpv4: req.ipv4 } : {}),
      ...(req.ipv6 ? { requestedIpv6: req.ipv6 } : {}),
      state: 'creating',
    };
    const undo = new Undo(this.s.logger);
    try {
      await timed('endpoint_join', n.driver, () => this.build(sb, n, driver, ep, undo, into));
      this.s.logger.info({ network: n.name, endpoint: ep.id, ip: ep.ipv4, ip6: ep.ipv6, sandbox: sb.id }, 'endpoint joined');
      return ep;
    } catch (err) {
      await undo.run();
      throw err;
    }
  }

  /** The steps of a connect, each pushing its undo. */
  private async build(
    sb: SandboxRecord, n: NetworkRecord, driver: NetworkDriver, ep: EndpointRecord, undo: Undo, into?: Transaction,
  ): Promise<void> {
    const { store } = this.s;
    this.s.endpoints.set(ep.id, ep);
    undo.push(() => { this.s.endpoints.delete(ep.id); });
    const intent = store.begin();
    try {
      if (driver.capability.needsIpam) await this.allocateAddresses(n, ep, this.ipamTx(n, intent));
      ep.mac ||= macFor(ep.ipv4 && splitCidr(ep.ipv4).ip);
      intent.put(EP + ep.id, ep);
      await intent.commit();
    } catch (err) {
      intent.abort();
      if (n.scope !== 'local') await this.releaseAddresses(n, ep); // committed on their own
      throw err;
    }
    undo.push(() => this.forget(n, ep, sb));
    failpoint('endpoint.create.recorded');
    await driver.createEndpoint(n, ep);
    undo.push(() => driver.deleteEndpoint(n, ep));
    failpoint('endpoint.create.veth');
    const joined = await driver.join(n, ep, sbInfo(sb));
    undo.push(() => driver.leave(n, ep, sbInfo(sb)));
    failpoint('endpoint.create.joined');
    if (joined.gateway4) ep.gateway4 = joined.gateway4;
    if (joined.gateway6) ep.gateway6 = joined.gateway6;
    if (joined.gatewayService) ep.gatewayService = true;
    const sysctls = ep.driverOpts?.[OPT_ENDPOINT_SYSCTLS];
    if (sysctls && sb.nsPath) this.s.o.os.setSysctls(sb.nsPath, interfaceSysctls(sysctls, ep.ifName));
    await publishing('port_publish', n, ep, () => driver.programExternalConnectivity(n, ep));
    undo.push(() => driver.revokeExternalConnectivity(n, ep));
    failpoint('endpoint.create.published');
    ep.state = 'ready';
    const outcome = into ?? store.begin();
    if (ep.gateway4 || ep.gateway6) await applyGateways(this.s, sb, outcome);
    outcome.put(EP + ep.id, ep);
    afterCommit(outcome, () => publishNetworkEvent(this.s, n, 'connect', sb.containerId));
    if (!into) await outcome.commit();
    if (n.scope !== 'local') {
      await publishEndpoint(this.s, ep);
      undo.push(() => unpublishEndpoint(this.s, ep));
    }
    if (needsGatewayBridge(n, ep)) await this.attachGateway(sb, n, ep, undo, into);
  }

  /** The unit IPAM changes of n join: the local one, unless n's addresses live in the cluster store. */
  private ipamTx(n: NetworkRecord, tx: Transaction): Transaction | undefined {
    return n.scope === 'local' ? tx : undefined;
  }

  private async allocateAddresses(n: NetworkRecord, ep: EndpointRecord, tx: Transaction | undefined): Promise<void> {
    const ipam = this.s.ipamOf(n);
    if (!ipam) throw new NotFound(`plugin "${n.ipamDriver}" not found`);
    const { prefer, avoid } = await stickyPlan(tx, n, ep.name);
    if (n.ipv4.length) ep.ipv4 = await allocateAddress(ipam, n.ipv4, ep.requestedIpv4, n.name, tx, { prefer: prefer.ipv4, avoid });
    if (n.enableIPv6 && n.ipv6.length) {
      ep.ipv6 = await allocateAddress(ipam, n.ipv6, ep.requestedIpv6, n.name, tx, { prefer: prefer.ipv6, avoid });
    }
    if (tx) claimed(tx, n, ep);
  }

  private async releaseAddresses(n: NetworkRecord, ep: EndpointRecord, tx?: Transaction): Promise<void> {
    const ipam = this.s.ipamOf(n);
    if (ipam && ep.ipv4) await ipam.releaseAddress(poolFor(n.ipv4, ep.ipv4).poolId, ep.ipv4, tx);
    if (ipam && ep.ipv6) await ipam.releaseAddress(poolFor(n.ipv6, ep.ipv6).poolId, ep.ipv6, tx);
  }

  /**
   * Into tx (one of its own when absent, committed here): the addresses released, the
   * record dropped, and the sandbox's default routes moved to the endpoints that now come first.
   */
  private async forget(n: NetworkRecord | undefined, ep: EndpointRecord, sb: SandboxRecord | undefined, into?: Transaction): Promise<void> {
    const tx = into ?? this.s.store.begin();
    if (n) await this.releaseAddresses(n, ep, this.ipamTx(n, tx));
    if (n) remember(tx, n, ep);
    tx.delete(EP + ep.id);
    this.s.endpoints.delete(ep.id);
    if (sb && (sb.gatewayEndpoint === ep.id || ep.gateway4 || ep.gateway6)) await applyGateways(this.s, sb, tx);
    if (!into) await tx.commit();
  }

  /**
   * Overlays, and remote drivers that give no gateway, have no way out of their own: one
   * through weft_gwbridge, which also carries the endpoint's published ports (as
   * docker_gwbridge does).
   */
  private async attachGateway(sb: SandboxRecord, n: NetworkRecord, ep: EndpointRecord, undo: Undo, into?: Transaction): Promise<void> {
    if (n.internal || sb.gatewayEndpoint) return;
    const gw = await this.gateway.attach(sb, ep.portBindings);
    if (gw) undo.push(() => this.remove(gw, { force: true }));
    if (gw && ep.portBindings.length) {
      ep.portBindings = [];
      if (into) into.put(EP + ep.id, ep);
      else await this.s.store.put(EP + ep.id, ep);
    }
  }

  /** A renamed container: its endpoints answer DNS by the new name (and publish it, on global networks). */
  async rename(sandboxId: string, name: string): Promise<void> {
    await this.s.locks.run(SB + sandboxId, async () => {
      for (const ep of this.s.sandboxEndpoints(sandboxId)) {
        ep.name = name;
        await this.s.store.put(EP + ep.id, ep);
        if (this.s.networks.get(ep.networkId)?.scope !== 'local') await publishEndpoint(this.s, ep);
      }
    });
  }

  async disconnect(sandboxId: string, n: NetworkRecord, opts: { force?: boolean } = {}, into?: Transaction): Promise<void> {
    await this.s.locks.run(SB + sandboxId, async () => {
      const ep = [...this.s.endpoints.values()].find((e) => e.sandboxId === sandboxId && e.networkId === n.id);
      if (!ep) throw new NotFound(`container ${sandboxId.slice(0, 12)} is not connected to network ${n.name}`);
      await this.remove(ep, opts, into);
      afterCommit(into, () => publishNetworkEvent(this.s, n, 'disconnect', sandboxId));
    });
  }

  /**
   * Take an endpoint down: cluster record, driver state, then addresses, record and default
   * route in one commit — into `tx` when the caller removes more with it (a whole sandbox).
   */
  async remove(ep: EndpointRecord, opts: RemoveOptions, tx?: Transaction): Promise<void> {
    const n = this.s.networks.get(ep.networkId);
    const sb = this.s.sandboxes.get(ep.sandboxId);
    ep.state = 'deleting';
    await this.s.store.put(EP + ep.id, ep);
    failpoint('endpoint.remove.marked');
    if (n && n.scope !== 'local') {
      // First, so other hosts stop sending to it while it is taken down.
      await unpublishEndpoint(this.s, ep)
        .catch((err) => this.s.logger.warn({ err, endpoint: ep.id }, 'unpublishing the endpoint failed'));
    }
    await timed('endpoint_leave', n?.driver ?? 'none', async () => {
      if (n) await this.leaveDriver(n, ep, sb, opts);
      await this.forget(n, ep, sb, tx);
    });
    this.s.logger.info({ endpoint: ep.id, network: n?.name }, 'endpoint removed');
    if (n && needsGatewayBridge(n, ep) && sb && !opts.closing) await this.gateway.detachIfUnneeded(sb);
  }

  /** The driver's share of a removal. */
  private async leaveDriver(n: NetworkRecord, ep: EndpointRecord, sb: SandboxRecord | undefined, opts: RemoveOptions): Promise<void> {
    await this.s.resolve(n.driver, undefined)
      .catch((err) => this.s.logger.warn({ err, network: n.name }, 'the network\'s plugin is not there'));
    const driver = this.s.drivers.get(n.driver);
    if (!driver && opts.force) return;
    if (!driver) throw new NotFound(`plugin "${n.driver}" not found`);
    const step = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        if (!opts.force) throw err;
        this.s.logger.warn({ err, endpoint: ep.id }, `${what} failed; continuing (forced)`);
      }
    };
    await step('revoke', () => publishing('port_unpublish', n, ep, () => driver.revokeExternalConnectivity(n, ep)));
    failpoint('endpoint.remove.revoked');
    if (sb) await step('leave', () => driver.leave(n, ep, { ...sbInfo(sb), ...(opts.closing ? { closing: true } : {}) }));
    await step('delete endpoint', () => driver.deleteEndpoint(n, ep));
    failpoint('endpoint.remove.deleted');
  }
}

/** Publishing and unpublishing are timed for the endpoints that publish ports. */
function publishing(op: Operation, n: NetworkRecord, ep: EndpointRecord, fn: () => Promise<void>): Promise<void> {
  return ep.portBindings?.length ? timed(op, n.driver, fn) : fn();
}

async function allocateAddress(
  ipam: IpamDriver, pools: IpamData[], wanted: string | undefined, netName: string, tx: Transaction | undefined,
  sticky: { prefer?: string; avoid: string[] },
): Promise<string> {
  if (wanted) {
    const pool = pools.find((p) => cidrContains(p.subnet, wanted));
    if (!pool) throw new InvalidArgument(`no configured subnet or ip-range contain the IP address ${wanted}`);
    return ipam.requestAddress(pool.poolId, wanted, {}, tx);
  }
  let last: unknown;
  for (const p of pools) {
    try {
      const prefer = sticky.prefer && cidrContains(p.subnet, sticky.prefer) ? sticky.prefer : undefined;
      return await ipam.requestAddress(p.poolId, undefined, { prefer, avoid: sticky.avoid }, tx);
    } catch (err) {
      last = err;
    }
  }
  throw last ?? new Conflict(`no available addresses on network ${netName}`);
}

/** Whether an endpoint of n wants weft_gwbridge as its way out (gateway.ts). */
export function needsGatewayBridge(n: NetworkRecord, ep: EndpointRecord): boolean {
  return n.scope !== 'local' || !!ep.gatewayService;
}

function nextIfName(used: string[]): string {
  for (let i = 0; ; i++) if (!used.includes(`eth${i}`)) return `eth${i}`;
}
