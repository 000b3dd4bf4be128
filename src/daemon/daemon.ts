/**
 * Assembles the daemon: store, IPAM, firewall, drivers, controller, runtime and the API,
 * reconciles the kernel with the store after a restart, makes sure the predefined
 * networks exist, and serves the socket.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BridgeDriver, type BridgeDriverDeps } from '../../drivers/bridge/bridge.js';
import { HostDriver } from '../../drivers/host/host.js';
import { NullDriver } from '../../drivers/null/null.js';
import { createIpamRegistry } from './ipam.js';
import { remoteDrivers, type PluginOptions } from './plugins.js';
import { DEFAULT_DIRS } from '../plugins/discovery.js';
import { type ClusterParts, joinCluster, leaveCluster } from './cluster.js';
import { watchFirewall } from './firewall-watch.js';
import { ContainerService } from '../engine/containers.js';
import type { ClusterConfig } from '../cluster/node.js';
import { Controller } from '../controller/controller.js';
import { createFirewall, type FirewallOptions } from '../firewall/index.js';
import { liveExplainer } from '../firewall/explain.js';
import type { FirewallBackend } from '../contracts/firewall.js';
import type { PublishedPortsFirewall } from '../firewall/user-chain.js';
import type { NetworkDriver } from '../contracts/driver.js';
import { Rtnl } from '../kernel/rtnl.js';
import { LinkDeleter } from '../kernel/link-deleter.js';
import { NetnsPool } from '../kernel/netns-pool.js';
import { KernelSandboxOs } from '../kernel/sandbox-os.js';
import { KernelHostAddressing } from '../kernel/host-addressing.js';
import { SubnetConflicts } from '../controller/subnet-conflicts.js';
import { ServiceDiscovery } from '../engine/discovery.js';
import { readLocalPortRange } from '../hostports/local-port-range.js';
import { HostPortService } from '../hostports/service.js';
import { PortProxy } from '../proxy/proxy.js';
import { NoProxyBinder } from '../hostports/no-proxy.js';
import { ProcessRuntime } from '../runtime/runtime.js';
import { LmdbStore } from '../store/lmdb.js';
import { Images } from '../api/image-resolver.js';
import { ImageStore } from '../images/store.js';
import { apiRouter } from '../api/routes.js';
import { CniService } from '../cni/service.js';
import { closeServer, createApiServer, listenUnix } from '../api/server.js';
import { ExecRegistry } from '../engine/exec.js';
import { ContainerEvents } from '../engine/container-events.js';
import { EVENT_RING_SIZE, EventBus } from '../util/event-bus.js';
import type pino from 'pino';
import { createLogger, type LogFormat } from './logger.js';
import { timedFirewall } from '../metrics/firewall.js';
import { scrapeSource, startMetrics } from './metrics.js';
import type { DefaultBridgeConfig } from './bridge-flags.js';
import { ensureDefaultBridge } from './default-bridge.js';

export interface DaemonOptions {
  root: string;
  runDir: string;
  firewallBackend: 'iptables' | 'nftables';
  logLevel?: string;
  /** json (pino's lines) or text (one readable line each); default json. */
  logFormat?: LogFormat;
  /** Name of the Linux bridge of the default `bridge` network. */
  defaultBridge?: string;
  /** Upstream resolvers for names the embedded DNS does not know (default: host's resolv.conf). */
  dnsUpstreams?: string[];
  /** What ExtraHosts' "host-gateway" stands for; absent: the default bridge's gateway. */
  hostGatewayIp?: string;
  /** Published container ports answer by address on every host interface (dockerd --allow-direct-routing). */
  allowDirectRouting?: boolean;
  /** The rtnetlink watch for subnet conflicts; on unless false. */
  watchSubnetConflicts?: boolean;
  /** false: published ports by DNAT alone, loopback included, no relay sockets (dockerd --userland-proxy=false). */
  userlandProxy?: boolean;
  /** host: new connections to published ports pass the user chain first (firewall/user-chain.ts); default bypass. */
  publishedPortsFirewall?: PublishedPortsFirewall;
  /** Seconds between checks that weft's firewall rules are still there; 0 disables. */
  firewallCheckSeconds?: number;
  /** Also serve GET /metrics on this TCP address ("host:port"); absent: the API socket only. */
  metricsAddr?: string;
  /** Join a cluster (etcd) for global-scope (overlay) networks; absent: single host. */
  cluster?: ClusterConfig & { overlayMtu?: number };
  /** Where remote (plugin) drivers are found, and how long a call to one may take; default dockerd's dirs, 30 s. */
  plugins?: Partial<PluginOptions['dirs']> & { timeoutMs?: number };
  /** The default bridge's subnet, range, MTU and default host address (--bip, --fixed-cidr, --mtu, --ip). */
  defaultBridgeConfig?: DefaultBridgeConfig;
  /** Subnets auto-picked networks get, per family (--default-address-pool); absent: the built-in pools. */
  addressPools?: { v4: string[]; v6: string[] };
}

export interface Daemon {
  socketPath: string;
  controller: Controller;
  containers: ContainerService;
  firewall: FirewallBackend;
  close(opts?: { stopContainers?: boolean }): Promise<void>;
}

export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const logger = createLogger(o.logLevel ?? 'info', o.logFormat);
  const events = new ContainerEvents(new EventBus(EVENT_RING_SIZE, (err) => logger.warn({ err }, 'an events subscriber failed')));
  fs.mkdirSync(o.root, { recursive: true, mode: 0o700 });
  fs.mkdirSync(o.runDir, { recursive: true, mode: 0o755 });
  claimPidFile(path.join(o.runDir, 'weft.pid'));
  const store = await LmdbStore.open(o.root);
  const host = Rtnl.open();
  const linkDeleter = new LinkDeleter();
  const netnsDir = path.join(o.runDir, 'netns');
  const netnsPool = new NetnsPool(path.join(o.runDir, 'netns-pool'));
  const cluster = o.cluster ? await joinCluster(o.cluster, store, host, { netnsDir, stateDir: o.root }, logger) : undefined;
  const firewall = timedFirewall(createFirewall(o.firewallBackend, firewallOptions(o, logger)));
  await firewall.init();
  const hostPorts = hostPortService(o, logger);
  const controller = new Controller({
    store,
    drivers: builtinDrivers(o, { host, linkDeleter, firewall, hostPorts }, cluster?.overlay),
    ipams: [...createIpamRegistry(store, o.addressPools).values()],
    netnsDir,
    os: new KernelSandboxOs(host, netnsPool),
    logger, events: events.bus,
    ...(cluster ? { cluster: cluster.node, peers: cluster.peers, globalIpams: cluster.globalIpams } : {}),
    plugins: remoteDrivers(pluginOptions(o), store, host, logger),
  });
  const runtime = new ProcessRuntime({ logger });
  const upstreams = o.dnsUpstreams;
  const dns = new ServiceDiscovery(controller, logger, upstreams ? { upstreams: () => upstreams } : {});
  const containersDir = path.join(o.root, 'containers');
  const containers = new ContainerService({
    store, controller, runtime, containersDir, logger, dns, hostPorts, events,
    ...(o.hostGatewayIp ? { hostGatewayIp: o.hostGatewayIp } : {}),
  });

  const imageStore = openImageStore(o.root);
  await restoreState(controller, containers, cluster, () => ensureDefaultBridge(controller, o, logger));
  const cni = new CniService(linkDeleter);
  const firewallWatch = watchFirewall(firewall, controller, logger, o.firewallCheckSeconds ?? 10, () => cni.restoreFirewall());
  const conflicts = o.watchSubnetConflicts !== false
    ? await SubnetConflicts.watch(controller, new KernelHostAddressing(), logger, events.bus) : undefined;
  const router = apiRouter({
    ctl: controller, containers,
    execs: new ExecRegistry(containers, events), events,
    images: new Images(imageStore, path.join(o.root, 'images')),
    info: { root: o.root, firewall: firewall.name },
    reloadFirewall: firewallWatch.reload, ...(conflicts ? { conflicts } : {}), cni, explainer: liveExplainer(o.firewallBackend),
    ...(cluster?.mesh ? { encryption: cluster.mesh } : {}),
  });
  const metrics = await startMetrics(scrapeSource(controller, containers, firewall), o.metricsAddr);
  const server = createApiServer(router, logger);
  const socketPath = path.join(o.runDir, 'weft.sock');
  await listenUnix(server, socketPath);
  logger.info({ socket: socketPath, root: o.root, firewall: firewall.name }, 'weft daemon listening');

  return {
    socketPath, controller, containers, firewall,
    async close(opts = {}) {
      for (const watch of [firewallWatch, conflicts]) watch?.stop();
      await closeServer(server);
      await metrics.close();
      if (opts.stopContainers) {
        const running = containers.list().filter((c) => c.status === 'running');
        await Promise.all(running.map((c) => containers.stop(c.id, 5).catch(() => undefined)));
      }
      await hostPorts.close();
      cni.close();
      await controller.closeCluster();
      if (cluster) await leaveCluster(cluster, { leave: !!opts.stopContainers });
      await dns.close();
      netnsPool.close();
      host.close();
      await linkDeleter.close();
      await store.close();
      fs.rmSync(socketPath, { force: true });
      fs.rmSync(path.join(o.runDir, 'weft.pid'), { force: true });
      logger.flush();
    },
  };
}

/** Host ports bound by the userland proxy, or only reserved without it; with input mode the proxy serves every client. */
function hostPortService(o: DaemonOptions, logger: pino.Logger): HostPortService {
  const binder = o.userlandProxy === false ? new NoProxyBinder() : new PortProxy(logger);
  return new HostPortService({ binder, logger, portRange: readLocalPortRange(), relayOnly: o.publishedPortsFirewall === 'input' });
}

/** The userland proxy and published-ports-firewall choices, as the firewall backend takes them. */
function firewallOptions(o: DaemonOptions, logger: pino.Logger): FirewallOptions {
  return { logger, loopbackDnat: o.userlandProxy === false, publishedPortsFirewall: o.publishedPortsFirewall ?? 'bypass' };
}

/** bridge (with the daemon's direct routing and proxy choices), host, null, and the cluster's overlay driver if any. */
function builtinDrivers(o: DaemonOptions, bridge: BridgeDriverDeps, overlay: NetworkDriver | undefined): NetworkDriver[] {
  const flags = { allowDirectRouting: o.allowDirectRouting, loopbackDnat: o.userlandProxy === false };
  return [new BridgeDriver({ ...bridge, ...flags }), new HostDriver(), new NullDriver(), ...(overlay ? [overlay] : [])];
}

/** The image store under the state root, with what an interrupted load or removal left cleaned up. */
function openImageStore(root: string): ImageStore {
  const store = new ImageStore(path.join(root, 'images', 'store'));
  store.open();
  return store;
}

/** What a previous run left: containers adopted or failed, then networks reconciled against them, then strays swept. */
async function restoreState(
  controller: Controller, containers: ContainerService, cluster: ClusterParts | undefined, defaultBridge: () => Promise<void>,
) {
  const alive = await containers.restore();
  await controller.reconcile((id) => alive.get(id));
  await containers.restoreNetworking();
  await cluster?.overlay.sweep(controller.listNetworks());
  await defaultBridge();
  await ensurePredefined(controller);
  await containers.sweepAutoRemove();
  await containers.resumeDiscovery();
}

function pluginOptions(o: DaemonOptions): PluginOptions {
  const p = o.plugins ?? {};
  const dirs = { socketsDir: p.socketsDir ?? DEFAULT_DIRS.socketsDir, specDirs: p.specDirs ?? DEFAULT_DIRS.specDirs };
  return { dirs, timeoutMs: p.timeoutMs ?? 30_000 };
}

/** The two networks every Docker host has besides bridge: host and none. */
async function ensurePredefined(ctl: Controller): Promise<void> {
  const have = new Set(ctl.listNetworks().map((n) => n.name));
  if (!have.has('host')) await ctl.createNetwork({ name: 'host', driver: 'host', ipam: { driver: 'null' } }, { predefined: true });
  if (!have.has('none')) await ctl.createNetwork({ name: 'none', driver: 'null', ipam: { driver: 'null' } }, { predefined: true });
}

/** One daemon per run dir: refuse to start while the recorded pid is alive. */
function claimPidFile(file: string): void {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8'));
    if (pid && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        throw new Error(`another weft daemon (pid ${pid}) is using this run dir; ${file} exists`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.writeFileSync(file, String(process.pid));
}
