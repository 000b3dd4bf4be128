/** GET /metrics: the daemon's Prometheus text exposition (src/metrics), on the API socket. */
import { renderMetrics } from '../metrics/scrape.js';
import type { Route } from './router.js';

export function metricsRoutes(): Route[] {
  return [{
    method: 'GET', path: '/metrics', handler: async ({ res }) => {
      const { contentType, text } = await renderMetrics();
      res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    },
  }];
}
