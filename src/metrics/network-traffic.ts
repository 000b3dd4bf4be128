/**
 * Per-network forwarded and dropped packets, from the kernel counters of each network's
 * own firewall rules (read on scrape by the firewall backend, one dump per table). Both
 * series come from the same read: the first collect starts it, the other shares it.
 */
import client from 'prom-client';
import type { DropReason } from '../contracts/firewall.js';
import { registry } from './registry.js';

/** One network's counters: packets forwarded out of and into its bridge, drops by reason. */
export interface NetworkTrafficSample {
  network: string;
  forwardedOut: number;
  forwardedIn: number;
  dropped: Partial<Record<DropReason, number>>;
}

export type NetworkTrafficRead = () => Promise<NetworkTrafficSample[]>;

/** Register both series, reading through `read` on each scrape. */
export function registerNetworkTraffic(read: NetworkTrafficRead): void {
  let inflight: Promise<NetworkTrafficSample[]> | undefined;
  const once = () => {
    inflight ??= read().finally(() => { inflight = undefined; });
    return inflight;
  };
  new client.Counter({
    name: 'weft_network_forwarded_packets_total',
    help: "Packets the host forwarded out of (direction=out) or into (in) a network's bridge (kernel rule counters)",
    labelNames: ['network', 'direction'], registers: [registry],
    async collect() {
      const samples = await once();
      this.reset();
      for (const s of samples) {
        this.inc({ network: s.network, direction: 'out' }, s.forwardedOut);
        this.inc({ network: s.network, direction: 'in' }, s.forwardedIn);
      }
    },
  });
  new client.Counter({
    name: 'weft_network_dropped_packets_total',
    help: "Packets a network's firewall rules dropped, by reason (icc, isolation, internal, unpublished; kernel rule counters)",
    labelNames: ['network', 'reason'], registers: [registry],
    async collect() {
      const samples = await once();
      this.reset();
      for (const s of samples) for (const [reason, n] of Object.entries(s.dropped)) this.inc({ network: s.network, reason }, n);
    },
  });
}
