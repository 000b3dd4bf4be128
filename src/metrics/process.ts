/**
 * The process metrics (RSS, open fds, event-loop lag, heap, GC) in a registry of their own,
 * rendered on a timer and served as that text: collecting them reads several /proc files
 * and a directory of fds, which would be a large share of a scrape at 1,000 endpoints.
 * The event-loop lag figures cover the interval between two renderings.
 */
import client from 'prom-client';

const REFRESH_MS = 5000;

const processRegistry = new client.Registry();
client.collectDefaultMetrics({ register: processRegistry, prefix: 'weft_', eventLoopMonitoringPrecision: 20 });

let latest: Promise<string> | undefined;

/** The text of the last rendering; the first call renders and starts the timer. */
export function processMetricsText(): Promise<string> {
  if (!latest) {
    latest = processRegistry.metrics();
    setInterval(() => {
      processRegistry.metrics().then((text) => { latest = Promise.resolve(text); }, () => {});
    }, REFRESH_MS).unref();
  }
  return latest;
}
