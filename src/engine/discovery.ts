/**
 * Service discovery: which names a container may resolve, and where it asks.
 *
 * Where (like Docker's 127.0.0.11, unlike aardvark-dns's gateway address): each container
 * on a user-defined network gets a UDP and a TCP socket on 127.0.0.11 (random ports)
 * created inside its own network namespace and served by the daemon's one DnsServer; a
 * DNAT rule in the container's namespace sends 127.0.0.11:53 there, so port 53 stays
 * free for a DNS server of the container's own. Queries never cross the host's INPUT
 * chain (they stay on the container's loopback), so a host firewall with INPUT policy
 * drop, of any kind, cannot break them. The socket also names the asker: the listener is
 * per sandbox, no source-address lookup.
 *
 * What: containers (name, aliases, short id, "name.network") on the networks the asker
 * shares with them, never others; the network the name is looked up on first is any of
 * the asker's, in connection order. Forwarding is off when all the asker's networks are
 * internal.
 */
import type { Logger } from 'pino';
import { OPT_DEFAULT_BRIDGE } from '../contracts/network-options.js';
import type { Controller } from '../controller/controller.js';
import type { NetworkRecord } from '../controller/model.js';
import type { LookupRequest } from '../dns/resolver.js';
import { DnsServer } from '../dns/server.js';
import { resolvConfNameservers } from '../dns/upstreams.js';
import { runCommand } from '../firewall/exec.js';
import { bindInNetns, closeFd } from '../kernel/sockets.js';
import { splitCidr } from '../util/ip.js';
import { linkTarget } from './links.js';

export const RESOLVER_IP = '127.0.0.11';

export class ServiceDiscovery {
  readonly server: DnsServer;
  private readonly served = new Set<string>();

  constructor(
    private readonly ctl: Controller,
    logger: Logger,
    o: { resolvConf?: string; upstreams?: () => string[] } = {},
  ) {
    const resolvConf = o.resolvConf ?? '/etc/resolv.conf';
    this.server = new DnsServer({
      logger,
      lookup: (q) => this.lookup(q),
      // The daemon forwards from the host's namespace, so every resolver of the host,
      // loopback ones (systemd-resolved) included, is usable.
      upstreams: o.upstreams ?? resolvConfNameservers(resolvConf),
    });
  }

  /** Whether a network gives its containers embedded DNS (user-defined networks do). */
  static provides(n: NetworkRecord): boolean {
    return (n.driver === 'bridge' || n.driver === 'overlay') && n.options[OPT_DEFAULT_BRIDGE] !== 'true';
  }

  /** Whether this sandbox should use the embedded resolver. */
  wants(sandboxId: string): boolean {
    return this.networksOf(sandboxId).some((n) => ServiceDiscovery.provides(n));
  }

  /**
   * Serve the sandbox (idempotent; updates the internal flag on connect/disconnect).
   * Returns false when it cannot (no namespace). upstreams: the container's own Dns servers,
   * forwarded to instead of the host's. With `defer`, the nft script that sends
   * 127.0.0.11:53 to the resolver's ports is handed back instead of run: a container about
   * to start runs it in its own setup, which saves the daemon a process spawn.
   */
  async attach(
    sandboxId: string, nsPath: string | undefined, opts: { defer?: (script: string) => void; upstreams?: string[] } = {},
  ): Promise<boolean> {
    if (!nsPath) return false;
    const internal = this.networksOf(sandboxId).filter((n) => ServiceDiscovery.provides(n)).every((n) => n.internal);
    const upstreams = opts.upstreams ?? [];
    if (this.served.has(sandboxId)) {
      await this.server.listen(sandboxId, RESOLVER_IP, { internal, upstreams });
      return true;
    }
    const fds = bindInNetns(nsPath, RESOLVER_IP, 0);
    try {
      const script = redirectScript(fds.udpPort, fds.tcpPort);
      if (opts.defer) opts.defer(script);
      else await runCommand(['nft', '-f', '-'], { netnsPath: nsPath, input: script });
      await this.server.listen(sandboxId, RESOLVER_IP, { internal, fds, port: fds.udpPort, upstreams });
    } catch (err) {
      closeFd(fds.udp);
      closeFd(fds.tcp);
      throw err;
    }
    this.served.add(sandboxId);
    return true;
  }

  async detach(sandboxId: string): Promise<void> {
    if (!this.served.delete(sandboxId)) return;
    await this.server.unlisten(sandboxId);
  }

  close(): Promise<void> {
    this.served.clear();
    return this.server.close();
  }

  lookup(q: LookupRequest): string[] | undefined {
    const eps = this.ctl.sandboxEndpoints(q.networkId);
    const nets = eps.map((ep) => this.ctl.getNetworkById(ep.networkId))
      .filter((n): n is NetworkRecord => !!n && ServiceDiscovery.provides(n));
    if (q.type === 'PTR') {
      for (const n of nets) {
        const ep = this.namesOn(n).find((e) => addr(e.ipv4) === q.name || addr(e.ipv6) === q.name);
        if (ep) return [`${ep.name}.${n.name}`];
      }
      return undefined;
    }
    const name = q.name.toLowerCase();
    let known = false;
    for (const n of nets) {
      const suffix = `.${n.name.toLowerCase()}`;
      const bare = name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined;
      // A link alias of the asker's endpoint on n stands for the container it names.
      const linked = linkTarget(eps.find((e) => e.networkId === n.id)?.links, name);
      const wanted = linked ?? name;
      const hits = this.namesOn(n).filter((e) => matches(e, wanted) || (bare !== undefined && matches(e, bare)));
      if (!hits.length) continue;
      known = true;
      const ips = hits.map((e) => addr(q.type === 'A' ? e.ipv4 : e.ipv6)).filter((ip): ip is string => !!ip);
      if (ips.length) return ips;
    }
    return known ? [] : undefined;
  }

  /**
   * Who answers to a name on network n: its ready local endpoints, and on a global
   * (overlay) network also the endpoints other hosts published in the cluster store.
   */
  private namesOn(n: NetworkRecord): NameEntry[] {
    const local = this.ctl.endpointsOf(n.id).filter((e) => e.state === 'ready').map((e) => ({
      name: e.name, aliases: e.aliases, ipv4: e.ipv4, ipv6: e.ipv6, containerId: this.ctl.getSandbox(e.sandboxId)?.containerId,
    }));
    if (n.scope === 'local') return local;
    const remote = this.ctl.remoteEndpointsOf(n.id).map((e) => ({
      name: e.name, aliases: e.aliases ?? [], ipv4: e.ipv4, ipv6: e.ipv6, containerId: undefined,
    }));
    return [...local, ...remote];
  }

  private networksOf(sandboxId: string): NetworkRecord[] {
    return this.ctl.sandboxEndpoints(sandboxId).map((ep) => this.ctl.getNetworkById(ep.networkId)).filter((n): n is NetworkRecord => !!n);
  }
}

/**
 * nftables for the sandbox's own namespace: 127.0.0.11:53 -> the resolver's ports. Run
 * with the `nft` tool (by the container's setup, or exec'd), never through libnftables
 * in-process: libnftables waits on its netlink socket with select(), which aborts the
 * process once that socket's fd is above 1023, and a fresh context per sandbox gets a
 * fresh (high, on a busy host) fd. The host firewall's one context is opened at start.
 */
function redirectScript(udpPort: number, tcpPort: number): string {
  return [
    'add table ip weft-dns',
    'add chain ip weft-dns output { type nat hook output priority -100; policy accept; }',
    'flush chain ip weft-dns output',
    `add rule ip weft-dns output ip daddr ${RESOLVER_IP} udp dport 53 dnat to ${RESOLVER_IP}:${udpPort}`,
    `add rule ip weft-dns output ip daddr ${RESOLVER_IP} tcp dport 53 dnat to ${RESOLVER_IP}:${tcpPort}`,
    '',
  ].join('\n');
}

/** A name-bearing endpoint, local or published by another host. */
interface NameEntry {
  name: string;
  aliases: string[];
  ipv4?: string | undefined;
  ipv6?: string | undefined;
  containerId?: string | undefined;
}

function matches(ep: NameEntry, name: string): boolean {
  if (ep.name.toLowerCase() === name) return true;
  if (ep.aliases.some((a) => a.toLowerCase() === name)) return true;
  return !!ep.containerId && name.length === 12 && ep.containerId.startsWith(name);
}

function addr(cidr: string | undefined): string | undefined {
  return cidr ? splitCidr(cidr).ip : undefined;
}
