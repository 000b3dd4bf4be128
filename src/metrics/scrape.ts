/**
 * Metrics of current state, computed when Prometheus scrapes (collect callbacks) from a
 * source the composition root binds: nothing here is kept in step with operations.
 * Per-port traffic comes from kernel counters, read once per scrape by the firewall backend
 * and written as text by port-text.ts.
 */
import client from 'prom-client';
// The cluster's instruments are in every exposition, on a host outside a cluster too (as zero-sample histograms).
import './cluster.js';
import { type NetworkTrafficSample, registerNetworkTraffic } from './network-traffic.js';
import { type PortCounts, renderPorts } from './port-text.js';
import { processMetricsText } from './process.js';
import { registry } from './registry.js';

export type { NetworkTrafficSample } from './network-traffic.js';
export type { PortCounts } from './port-text.js';

export interface NetworkSample { network: string; driver: string; endpoints: number; overlayPeers?: number }

export interface ConntrackSample { network: string; entries: number }

export interface PoolSample { network: string; subnet: string; inUse: number; free: number }

export interface ScrapeSource {
  networks(): NetworkSample[];
  pools(): PoolSample[];
  runningContainers(): number;
  /** Conntrack entries with an address on each network, read from the kernel. */
  conntrack(): Promise<ConntrackSample[]>;
  /** Published host ports, one each, with their counters. */
  ports(): Promise<PortCounts>;
  /** Each network's forwarded and dropped packets, from its firewall rules' counters. */
  networkTraffic(): Promise<NetworkTrafficSample[]>;
}

let source: ScrapeSource | undefined;

/**
 * The whole text exposition, and the content type to serve it with: the registry's
 * metrics, the per-port series (port-text.ts), read while the registry collects, and the
 * process metrics of the last timer tick (process.ts).
 */
export async function renderMetrics(): Promise<{ contentType: string; text: string }> {
  const ports = source ? source.ports() : Promise.resolve({ labels: [], packets: [], bytes: [] });
  try {
    const [base, samples, proc] = await Promise.all([registry.metrics(), ports, processMetricsText()]);
    return { contentType: registry.contentType, text: base + renderPorts(samples) + proc };
  } finally {
    poolsMemo = undefined;
  }
}

/** The daemon's state, for every later scrape; undefined when it shuts down. */
export function setScrapeSource(s: ScrapeSource | undefined): void {
  source = s;
}

/** The pools of the current scrape: both IPAM gauges read them, computed once. */
let poolsMemo: PoolSample[] | undefined;
function pools(): PoolSample[] {
  poolsMemo ??= source ? source.pools() : [];
  return poolsMemo;
}

function gauge(name: string, help: string, labelNames: string[], collect: (g: client.Gauge<string>) => void): void {
  new client.Gauge({ name, help, labelNames, registers: [registry], collect() { this.reset(); if (source) collect(this); } });
}

gauge('weft_networks', 'Networks, by driver', ['driver'], (g) => {
  for (const n of source!.networks()) g.inc({ driver: n.driver });
});
gauge('weft_endpoints', 'Endpoints on each network', ['network', 'driver'], (g) => {
  for (const n of source!.networks()) g.set({ network: n.network, driver: n.driver }, n.endpoints);
});
gauge('weft_overlay_peers', 'Endpoints other hosts publish on each global network', ['network'], (g) => {
  for (const n of source!.networks()) if (n.overlayPeers !== undefined) g.set({ network: n.network }, n.overlayPeers);
});
gauge('weft_containers_running', 'Running containers', [], (g) => g.set(source!.runningContainers()));
gauge('weft_ipam_addresses_in_use', 'Addresses taken in each pool (endpoints, gateway, auxiliary)', ['network', 'subnet'], (g) => {
  for (const p of pools()) g.set({ network: p.network, subnet: p.subnet }, p.inUse);
});
gauge('weft_ipam_addresses_free', 'Addresses still free for endpoints in each pool', ['network', 'subnet'], (g) => {
  for (const p of pools()) g.set({ network: p.network, subnet: p.subnet }, p.free);
});
registerNetworkTraffic(() => (source ? source.networkTraffic() : Promise.resolve([])));
new client.Gauge({
  name: 'weft_conntrack_entries', help: 'Connection tracking entries with an address on the network', labelNames: ['network'],
  registers: [registry],
  async collect() {
    const samples = source ? await source.conntrack() : [];
    this.reset();
    for (const c of samples) this.set({ network: c.network }, c.entries);
  },
});
