/**
 * The daemon's Prometheus registry and the instruments every layer records into. Counters
 * and histograms are module singletons (one daemon per process); what describes current
 * state (networks, ports, kernel counters) is read on scrape through scrape.ts, never kept
 * in step by hand.
 */
import client from 'prom-client';

export const registry = new client.Registry();

/** Operations the daemon times; the label values of weft_operation_duration_seconds. */
export type Operation =
  | 'network_create' | 'network_delete' | 'endpoint_join' | 'endpoint_leave'
  | 'port_publish' | 'port_unpublish' | 'store_commit' | 'firewall_transaction';

const operationSeconds = new client.Histogram({
  name: 'weft_operation_duration_seconds',
  help: 'Latency of daemon operations, by operation, backend (driver, store or firewall) and outcome',
  labelNames: ['operation', 'backend', 'outcome'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

/** Run fn and record its latency; the outcome label says whether it threw. */
export async function timed<T>(operation: Operation, backend: string, fn: () => Promise<T>): Promise<T> {
  const stop = operationSeconds.startTimer({ operation, backend });
  try {
    const out = await fn();
    stop({ outcome: 'ok' });
    return out;
  } catch (err) {
    stop({ outcome: 'error' });
    throw err;
  }
}

export const dnsQueries = new client.Counter({
  name: 'weft_dns_queries_total',
  help: 'DNS queries the embedded server received, by transport (malformed ones included)',
  labelNames: ['transport'] as const,
  registers: [registry],
});

export const dnsAnswers = new client.Counter({
  name: 'weft_dns_answers_total',
  help: 'DNS answers sent (local or relayed from an upstream), by rcode name',
  labelNames: ['rcode'] as const,
  registers: [registry],
});

export const dnsForwardSeconds = new client.Histogram({
  name: 'weft_dns_forward_duration_seconds',
  help: 'Time of one exchange with an upstream resolver, by outcome (answer or failure)',
  labelNames: ['outcome'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const dnsUpstreamFailures = new client.Counter({
  name: 'weft_dns_upstream_failures_total',
  help: 'Upstream exchanges that failed (timeout, socket error) or answered SERVFAIL/REFUSED',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const proxyConnections = new client.Counter({
  name: 'weft_proxy_connections_total',
  help: 'Connections (TCP) or sessions (UDP) the userland proxy relayed, by protocol',
  labelNames: ['proto'] as const,
  registers: [registry],
});

export const proxyBytes = new client.Counter({
  name: 'weft_proxy_bytes_total',
  help: 'Bytes the userland proxy relayed, by protocol and direction (in: from the client)',
  labelNames: ['proto', 'direction'] as const,
  registers: [registry],
});
