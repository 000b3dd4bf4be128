/** `weft daemon`: flags, start, and shutdown on signals. */
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { startDaemon } from './daemon.js';
import { installLastResort } from './last-resort.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat } from './logger.js';
import { addressPools, type BridgeFlags, defaultBridgeConfig } from './bridge-flags.js';
import { PUBLISHED_PORTS_FIREWALL_MODES, type PublishedPortsFirewall } from '../firewall/user-chain.js';

interface ClusterFlags { clusterStore?: string; advertiseAddr?: string; clusterTtl: string; clusterPrefix: string; overlayMtu?: string }

interface DaemonFlags extends ClusterFlags, BridgeFlags {
  root: string;
  runDir: string;
  firewallBackend: string;
  defaultBridge: string;
  logLevel: string;
  logFormat: string;
  firewallCheckInterval: string;
  dns: string[];
  hostGatewayIp?: string;
  pluginsDir: string;
  pluginSpecDir: string[];
  pluginTimeout: string;
  metricsAddr?: string;
  allowDirectRouting?: boolean;
  watchSubnetConflicts: string | boolean;
  userlandProxy: string;
  publishedPortsFirewall: string;
}

const repeatable = (v: string, acc: string[]) => [...acc, v];

export function registerDaemonCommand(program: Command): void {
  program
    .command('daemon')
    .description('run the weft daemon (serves the Docker-shaped API on <run-dir>/weft.sock)')
    .option('--root <dir>', 'state root (store, containers, images)', '/var/lib/weft')
    .option('--run-dir <dir>', 'run dir (API socket, netns mounts, pid file)', '/run/weft')
    .option('--firewall-backend <name>', 'iptables or nftables', 'nftables')
    .option('--default-bridge <name>', 'Linux bridge name of the default "bridge" network', 'weft0')
    .option('--log-level <level>', 'pino log level (debug, info, warn, error)', 'info')
    .option('--log-format <format>', 'json (one JSON object a line) or text (one readable line each)', 'json')
    .option('--dns <ip>', 'upstream resolver for the embedded DNS (repeatable; default: host resolv.conf)', repeatable, [] as string[])
    .option('--host-gateway-ip <ip>', 'address "host-gateway" stands for in --add-host (default: the default bridge\'s gateway)')
    .option('--allow-direct-routing', 'published container ports answer by container address on every host interface')
    .option('--watch-subnet-conflicts [bool]', 'tell host routes/addresses that overlap a network (see README; false: off)', 'true')
    .option('--userland-proxy <bool>', 'relay loopback clients of published ports (false: DNAT only, as dockerd)', 'true')
    .option('--published-ports-firewall <mode>', 'bypass: published ports skip the host firewall, as in Docker; '
      + 'host: new connections to them pass the user chain first; input: no DNAT, the proxy serves them behind the host\'s '
      + 'INPUT rules (see README)', 'bypass')
    .option('--firewall-check-interval <seconds>', 're-create flushed firewall rules after at most this long (0: never)', '10')
    .option('--metrics-addr <host:port>', 'also serve GET /metrics (Prometheus) on this TCP address, e.g. 127.0.0.1:9323')
    .option('--cluster-store <url>', 'join a cluster for overlay networks: etcd://HOST:PORT (comma-separated for several)')
    .option('--advertise-addr <ip>', 'this host\'s underlay address (VXLAN endpoint), with --cluster-store')
    .option('--cluster-ttl <seconds>', 'lease TTL: a dead host\'s endpoints vanish elsewhere after this long', '15')
    .option('--cluster-prefix <prefix>', 'key prefix in the cluster store', '/weft/')
    .option('--overlay-mtu <n>', 'MTU of overlay interfaces (default: underlay MTU - 50)')
    .option('--plugins-dir <dir>', 'where network and IPAM plugins listen (<name>.sock)', '/run/docker/plugins')
    .option('--plugin-spec-dir <dir>', 'plugin spec files (<name>.spec, <name>.json), repeatable '
      + '(default: /etc/docker/plugins, /usr/lib/docker/plugins)', repeatable, [] as string[])
    .option('--plugin-timeout <seconds>', 'how long one call to a plugin may take', '30')
    .option('--bip <cidr>', 'default bridge\'s address and prefix, e.g. 192.168.5.1/24')
    .option('--fixed-cidr <cidr>', 'default bridge\'s range for dynamic addresses (inside --bip\'s subnet)')
    .option('--ipv6', 'IPv6 on the default bridge too, from --fixed-cidr-v6 or else the default address pools')
    .option('--fixed-cidr-v6 <cidr>', 'default bridge\'s IPv6 subnet (with --ipv6), e.g. fd00:1::/64')
    .option('--mtu <n>', 'MTU of the default bridge and its containers\' interfaces')
    .option('--ip <addr>', 'default host address of ports published on the default bridge')
    .option('--default-address-pool <base=CIDR,size=N>', 'pool of auto-picked subnets (repeatable; replaces the built-in ones)',
      repeatable, [] as string[])
    .option('--podman-address-pools', 'auto-picked subnets are /24s from 10.89.0.0/16 on, as Podman\'s defaults')
    .action(async (opts: DaemonFlags) => {
      const cluster = clusterOptions(opts);
      const { checkSeconds, pluginTimeout, backend } = checkFlags(opts);
      const bridge = bridgeOptions(opts);
      installLastResort();
      const daemon = await startDaemon({
        root: opts.root,
        runDir: opts.runDir,
        firewallBackend: backend,
        defaultBridge: opts.defaultBridge,
        logLevel: opts.logLevel,
        logFormat: opts.logFormat as LogFormat,
        firewallCheckSeconds: checkSeconds,
        ...(opts.dns.length ? { dnsUpstreams: opts.dns } : {}),
        ...(opts.hostGatewayIp ? { hostGatewayIp: opts.hostGatewayIp } : {}),
        ...(opts.metricsAddr ? { metricsAddr: opts.metricsAddr } : {}),
        ...(opts.allowDirectRouting ? { allowDirectRouting: true } : {}),
        watchSubnetConflicts: parseBool('--watch-subnet-conflicts', String(opts.watchSubnetConflicts)),
        userlandProxy: parseBool('--userland-proxy', opts.userlandProxy),
        publishedPortsFirewall: publishedPortsMode(opts.publishedPortsFirewall, opts.userlandProxy),
        ...(cluster ? { cluster } : {}),
        ...bridge,
        plugins: {
          socketsDir: opts.pluginsDir,
          timeoutMs: pluginTimeout * 1000,
          ...(opts.pluginSpecDir.length ? { specDirs: opts.pluginSpecDir } : {}),
        },
      });
      let closing = false;
      const shutdown = (signal: string) => {
        if (closing) return;
        closing = true;
        process.stderr.write(`weft daemon: ${signal}, stopping containers and exiting\n`);
        daemon.close({ stopContainers: true }).then(() => process.exit(0), () => process.exit(1));
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      // The CLI exits when its action resolves; the daemon ends only through shutdown().
      await new Promise<never>(() => undefined);
    });
}

/** A boolean flag value as dockerd takes it (Go's strconv.ParseBool). */
function parseBool(flag: string, v: string): boolean {
  if (/^(1|t|true)$/i.test(v)) return true;
  if (/^(0|f|false)$/i.test(v)) return false;
  process.stderr.write(`weft daemon: invalid value "${v}" for ${flag}: not a boolean\n`);
  process.exit(1);
}

/** `--published-ports-firewall`'s mode, checked: a bad one ends the command with a message. */
function publishedPortsMode(v: string, userlandProxy: string): PublishedPortsFirewall {
  const mode = PUBLISHED_PORTS_FIREWALL_MODES.find((m) => m === v);
  if (mode === 'input' && !parseBool('--userland-proxy', userlandProxy)) {
    process.stderr.write('weft daemon: --published-ports-firewall=input serves published ports through the userland proxy: '
      + 'it cannot go with --userland-proxy=false\n');
    process.exit(1);
  }
  if (mode) return mode;
  const modes = `${PUBLISHED_PORTS_FIREWALL_MODES.slice(0, -1).join(', ')} or ${PUBLISHED_PORTS_FIREWALL_MODES.at(-1)}`;
  process.stderr.write(`weft daemon: invalid value "${v}" for --published-ports-firewall (${modes})\n`);
  return process.exit(1);
}

/** The flags that are not cluster flags, checked: a bad one ends the command with a message. */
function checkFlags(opts: DaemonFlags): { checkSeconds: number; pluginTimeout: number; backend: 'iptables' | 'nftables' } {
  const checkSeconds = Number(opts.firewallCheckInterval);
  if (!Number.isFinite(checkSeconds) || checkSeconds < 0) {
    process.stderr.write(`weft daemon: --firewall-check-interval must be a number of seconds >= 0\n`);
    process.exit(1);
  }
  if (opts.firewallBackend !== 'iptables' && opts.firewallBackend !== 'nftables') {
    process.stderr.write(`weft daemon: unknown firewall backend "${opts.firewallBackend}" (iptables or nftables)\n`);
    process.exit(1);
  }
  if (opts.hostGatewayIp !== undefined && !isIP(opts.hostGatewayIp)) {
    process.stderr.write(`weft daemon: --host-gateway-ip must be an IP address\n`);
    process.exit(1);
  }
  if (!LOG_LEVELS.includes(opts.logLevel) || !(LOG_FORMATS as string[]).includes(opts.logFormat)) {
    process.stderr.write(`weft daemon: --log-level is one of ${LOG_LEVELS.join(', ')}; --log-format json or text\n`);
    process.exit(1);
  }
  const pluginTimeout = Number(opts.pluginTimeout);
  if (!Number.isFinite(pluginTimeout) || pluginTimeout <= 0) {
    process.stderr.write('weft daemon: --plugin-timeout must be a number of seconds > 0\n');
    process.exit(1);
  }
  if (opts.metricsAddr !== undefined && !/^(\[[0-9a-fA-F:.]+\]|[^:\[\]]+):\d{1,5}$/.test(opts.metricsAddr)) {
    process.stderr.write(`weft daemon: --metrics-addr must be host:port (e.g. 127.0.0.1:9323)\n`);
    process.exit(1);
  }
  return { checkSeconds, pluginTimeout, backend: opts.firewallBackend };
}

/** The default bridge's flags and the address pools, checked: a bad one ends the command with dockerd's message. */
function bridgeOptions(opts: BridgeFlags) {
  try {
    const pools = addressPools(opts);
    return { defaultBridgeConfig: defaultBridgeConfig(opts), ...(pools ? { addressPools: pools } : {}) };
  } catch (err) {
    process.stderr.write(`weft daemon: ${(err as Error).message}\n`);
    return process.exit(1);
  }
}

/** --cluster-store and friends, checked; undefined without --cluster-store. */
function clusterOptions(o: ClusterFlags) {
  const fail = (msg: string): never => {
    process.stderr.write(`weft daemon: ${msg}\n`);
    process.exit(1);
  };
  if (!o.clusterStore) {
    if (o.advertiseAddr) fail('--advertise-addr needs --cluster-store');
    return undefined;
  }
  if (!o.advertiseAddr || !isIP(o.advertiseAddr)) fail('--cluster-store needs --advertise-addr with this host\'s underlay IP address');
  const ttl = Number(o.clusterTtl);
  if (!Number.isInteger(ttl) || ttl < 2) fail('--cluster-ttl must be a whole number of seconds >= 2');
  const mtu = o.overlayMtu === undefined ? undefined : Number(o.overlayMtu);
  const mtuOk = mtu === undefined || (Number.isInteger(mtu) && mtu >= 68 && mtu <= 65535);
  if (!mtuOk) fail('--overlay-mtu must be an integer between 68 and 65535');
  return { storeUrl: o.clusterStore, advertiseAddr: o.advertiseAddr!, ttl, prefix: o.clusterPrefix, ...(mtu ? { overlayMtu: mtu } : {}) };
}
