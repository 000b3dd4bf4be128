/**
 * Metrics of current state, computed when Prometheus scrapes (collect callbacks) from a
 * source the composition root binds: nothing here is kept in step with operations.
 * Per-port traffic comes from kernel counters, read once per scrape by the firewall backend.
 */
import client from 'prom-client';
import { registry } from './registry.js';

export interface NetworkSample { network: string; driver: string; endpoints: number; overlayPeers?: number }

export interface PoolSample { network: string; subnet: string; inUse: number; free: number }

/** One published host port and what the kernel counted towards it. */
export interface PortSample {
  network: string;
  container: string;
  proto: string;
  hostIp: string;
  hostPort: number;
  containerPort: number;
  packets: number;
  bytes: number;
}

export interface ScrapeSource {
  networks(): NetworkSample[];
  pools(): PoolSample[];
  runningContainers(): number;
  /** Published host ports, one sample each, with their counters. */
  ports(): Promise<PortSample[]>;
}

let source: ScrapeSource | undefined;

/** The whole text exposition, and the content type to serve it with. */
export async function renderMetrics(): Promise<{ contentType: string; text: string }> {
  return { contentType: registry.contentType, text: await registry.metrics() };
}

/** The daemon's state, for every later scrape; undefined when it shuts down. */
export function setScrapeSource(s: ScrapeSource | undefined): void {
  source = s;
}

/** One port read per scrape: the packets and bytes collectors run together and share it. */
let inFlight: Promise<PortSample[]> | undefined;
function portsOnce(): Promise<PortSample[]> {
  if (!source) return Promise.resolve([]);
  inFlight ??= source.ports().finally(() => { inFlight = undefined; });
  return inFlight;
}

const PORT_LABELS = ['network', 'container', 'proto', 'host_ip', 'host_port', 'container_port'] as const;

function portLabels(p: PortSample) {
  return {
    network: p.network, container: p.container, proto: p.proto, host_ip: p.hostIp,
    host_port: String(p.hostPort), container_port: String(p.containerPort),
  };
}

function gauge(name: string, help: string, labelNames: string[], collect: (g: client.Gauge<string>) => void): void {
  new client.Gauge({ name, help, labelNames, registers: [registry], collect() { this.reset(); if (source) collect(this); } });
}

function kernelCounter(name: string, help: string, pick: (p: PortSample) => number): void {
  new client.Counter({
    name, help, labelNames: PORT_LABELS, registers: [registry],
    async collect() {
      const ports = await portsOnce();
      this.reset();
      for (const p of ports) this.inc(portLabels(p), pick(p));
    },
  });
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
  for (const p of source!.pools()) g.set({ network: p.network, subnet: p.subnet }, p.inUse);
});
gauge('weft_ipam_addresses_free', 'Addresses still free for endpoints in each pool', ['network', 'subnet'], (g) => {
  for (const p of source!.pools()) g.set({ network: p.network, subnet: p.subnet }, p.free);
});
new client.Gauge({
  name: 'weft_published_ports', help: 'Published host ports', registers: [registry],
  async collect() { this.set((await portsOnce()).length); },
});
kernelCounter('weft_port_packets_total', 'Packets from clients to a published port (kernel counter)', (p) => p.packets);
kernelCounter('weft_port_bytes_total', 'Bytes from clients to a published port (kernel counter)', (p) => p.bytes);
