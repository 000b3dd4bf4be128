/**
 * What /metrics reads on each scrape, from the controller's records, the engine's
 * containers and the firewall's kernel counters; and the optional TCP listener
 * (`--metrics-addr`) serving the same text as the API socket.
 */
import http from 'node:http';
import { closeServer } from '../api/server.js';
import type { FirewallBackend, NetworkCounter } from '../contracts/firewall.js';
import type { Controller } from '../controller/controller.js';
import type { EndpointRecord, NetworkRecord } from '../controller/model.js';
import type { ContainerService } from '../engine/containers.js';
import { conntrackEntries } from '../kernel/conntrack.js';
import type { ConntrackSample, NetworkTrafficSample, PoolSample, ScrapeSource } from '../metrics/scrape.js';
import { shortId } from '../firewall/common.js';
import { renderMetrics, setScrapeSource } from '../metrics/scrape.js';
import { cidrContains, splitCidr } from '../util/ip.js';
import { PortJoin } from './metrics-ports.js';

export function scrapeSource(ctl: Controller, containers: ContainerService, firewall: FirewallBackend): ScrapeSource {
  const join = new PortJoin();
  return {
    networks: () => ctl.listNetworks().map((n) => ({
      network: n.name, driver: n.driver, endpoints: ctl.endpointsOf(n.id).length,
      ...(n.scope === 'global' ? { overlayPeers: ctl.remoteEndpointsOf(n.id).length } : {}),
    })),
    pools: () => ctl.listNetworks().flatMap((n) => poolsOf(n, ctl.endpointsOf(n.id))),
    runningContainers: () => containers.list().filter((c) => c.status === 'running').length,
    conntrack: async () => conntrackOf(ctl.listNetworks(), await conntrackEntries()),
    networkTraffic: async () => trafficOf(ctl.listNetworks(), await firewall.networkCounters()),
    ports: async () => join.join(ctl.listNetworks(), (id) => ctl.endpointsOf(id), await firewall.portCounters()),
  };
}

/** For each network, the entries with an address in one of its subnets (each entry counted once per network). */
function conntrackOf(networks: NetworkRecord[], entries: { addresses: string[] }[]): ConntrackSample[] {
  return networks.filter((n) => n.ipv4.length + n.ipv6.length > 0).map((n) => {
    const subnets = [...n.ipv4, ...n.ipv6].map((p) => p.subnet);
    const entriesOn = entries.filter((e) => e.addresses.some((a) => subnets.some((s) => cidrContains(s, a)))).length;
    return { network: n.name, entries: entriesOn };
  });
}

/** The counters of each network that has firewall rules (bridge networks), by the tag its chains carry. */
function trafficOf(networks: NetworkRecord[], counters: NetworkCounter[]): NetworkTrafficSample[] {
  const byTag = new Map(counters.map((c) => [c.tag, c]));
  return networks.flatMap((n) => {
    const c = byTag.get(shortId(n.id));
    return c ? [{ network: n.name, forwardedOut: c.forwardedOut, forwardedIn: c.forwardedIn, dropped: c.dropped }] : [];
  });
}

/** Each IPv4 and IPv6 pool: addresses taken and addresses an endpoint could still get. */
function poolsOf(n: NetworkRecord, eps: EndpointRecord[]): PoolSample[] {
  return [...n.ipv4, ...n.ipv6].map((pool) => {
    const v6 = pool.subnet.includes(':');
    // An endpoint's address lies in one of its network's pools: with one pool, no need to look.
    const only = (v6 ? n.ipv6 : n.ipv4).length === 1;
    const taken = eps.filter((e) => {
      const ip = v6 ? e.ipv6 : e.ipv4;
      return ip !== undefined && (only || cidrContains(pool.subnet, splitCidr(ip).ip));
    }).length;
    const reserved = (pool.gateway ? 1 : 0) + Object.keys(pool.auxAddresses).length;
    const range = splitCidr(pool.ipRange ?? pool.subnet).prefix;
    // IPv4: the network and broadcast addresses are never given; IPv6: the subnet-router anycast.
    const usable = 2 ** ((v6 ? 128 : 32) - range) - (v6 ? 1 : 2);
    return { network: n.name, subnet: pool.subnet, inUse: taken + reserved, free: Math.max(0, usable - taken - reserved) };
  });
}

/** Bind the source for scrapes and, with `addr`, listen on TCP; close() undoes both. */
export async function startMetrics(source: ScrapeSource, addr?: string): Promise<{ close(): Promise<void> }> {
  setScrapeSource(source);
  const server = addr ? await listenMetrics(addr) : undefined;
  return {
    async close() {
      setScrapeSource(undefined);
      if (server) await closeServer(server);
    },
  };
}

/** `--metrics-addr host:port`: GET /metrics on TCP (any other path is a 404). */
async function listenMetrics(addr: string): Promise<http.Server> {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(addr.slice(i + 1));
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('404 page not found\n');
      return;
    }
    renderMetrics().then(({ contentType, text }) => {
      res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    }, (err: unknown) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`${String(err)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve());
  });
  return server;
}
