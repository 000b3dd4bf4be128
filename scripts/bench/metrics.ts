/**
 * What one /metrics scrape costs with many endpoints, each publishing one port, for both
 * firewall backends: the kernel counter read (one netlink dump per family: set elements /
 * iptables-nft rules), the join with the endpoint records and the text rendering, as the daemon
 * does it (src/daemon/metrics.ts, src/metrics). In-process, against a throwaway namespace
 * (weft-b-mx-*), removed at the end, also on failure.
 *
 *   node dist/scripts/bench/metrics.js [--sizes 100,300,1000] [--reps 20]
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import type { FirewallNetwork, PortMapping } from '../../src/contracts/firewall.js';
import type { Controller } from '../../src/controller/controller.js';
import type { EndpointRecord, NetworkRecord } from '../../src/controller/model.js';
import { scrapeSource, startMetrics } from '../../src/daemon/metrics.js';
import type { ContainerService } from '../../src/engine/containers.js';
import { createFirewall } from '../../src/firewall/index.js';
import { renderMetrics } from '../../src/metrics/scrape.js';
import { pct } from './harness.js';

/** Wall-clock time of a scrape, and the CPU time (user + system) this process spent on it: the latter holds on a busy machine. */
export interface MetricsRow { backend: string; endpoints: number; scrapeP50: number; scrapeP90: number; cpuP50: number; bytes: number }

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

const NET = { id: 'benchmetricsnet', name: 'bench', driver: 'bridge', scope: 'local', ipv4: [
  { poolId: 'p', subnet: '10.61.0.0/16', gateway: '10.61.0.1/16', auxAddresses: {} },
], ipv6: [] } as unknown as NetworkRecord;

/** Endpoint i: 10.61.x.y, `-p 20000+i:80`. */
function endpoint(i: number): { ep: EndpointRecord; mapping: PortMapping } {
  const ip = `10.61.${((i + 2) >> 8) & 255}.${(i + 2) & 255}`;
  const ep = { id: `ep${i}`, name: `c${i}`, networkId: NET.id, ipv4: `${ip}/16`,
    portBindings: [{ proto: 'tcp', hostIp: '', hostPort: 20000 + i, containerPort: 80 }] } as unknown as EndpointRecord;
  return { ep, mapping: { proto: 'tcp', hostIp: '', hostPort: 20000 + i, containerPort: 80, containerIp: ip, bridge: 'br-mx' } };
}

export async function benchMetrics(sizes: number[], reps: number): Promise<MetricsRow[]> {
  const rows: MetricsRow[] = [];
  for (const backend of ['nftables', 'iptables'] as const) {
    const ns = `weft-b-mx-${crypto.randomBytes(3).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', ns]);
    const fw = createFirewall(backend, { netnsPath: `/run/netns/${ns}` });
    const eps: EndpointRecord[] = [];
    // The records the controller would hold, read through the calls the scrape makes.
    const ctl = { listNetworks: () => [NET], endpointsOf: () => eps, remoteEndpointsOf: () => [] } as unknown as Controller;
    const containers = { list: () => eps.map(() => ({ status: 'running' })) } as unknown as ContainerService;
    const metrics = await startMetrics(scrapeSource(ctl, containers, fw));
    try {
      await fw.init();
      const net: FirewallNetwork = { id: NET.id, bridge: 'br-mx', subnets4: ['10.61.0.0/16'], subnets6: [],
        internal: false, icc: true, masquerade: true };
      await fw.addNetwork(net);
      for (const n of sizes) {
        while (eps.length < n) {
          const { ep, mapping } = endpoint(eps.length);
          await fw.addPortMappings(ep.id, [mapping]);
          eps.push(ep);
        }
        const times: number[] = [];
        const cpu: number[] = [];
        let bytes = 0;
        for (let r = 0; r < reps; r++) {
          const t = process.hrtime.bigint();
          const u = process.cpuUsage();
          bytes = (await renderMetrics()).text.length;
          const used = process.cpuUsage(u);
          times.push(Number(process.hrtime.bigint() - t) / 1e6);
          cpu.push((used.user + used.system) / 1e3);
        }
        rows.push({ backend, endpoints: n, scrapeP50: pct(times, 50), scrapeP90: pct(times, 90), cpuP50: pct(cpu, 50), bytes });
        process.stderr.write(`  ${backend} at ${n} endpoints: scrape ${pct(times, 50).toFixed(2)} ms (${bytes} bytes)\n`);
      }
    } finally {
      await metrics.close();
      fw.close?.();
      execFileSync('ip', ['netns', 'del', ns]);
    }
  }
  return rows;
}

export function metricsTable(rows: MetricsRow[]): string {
  const out = ['backend    endpoints   /metrics scrape p50 (p90) ms   cpu p50 ms   text bytes'];
  for (const r of rows) {
    const t = `${r.scrapeP50.toFixed(2)} (${r.scrapeP90.toFixed(2)})`;
    const c = r.cpuP50.toFixed(2);
    out.push(`${r.backend.padEnd(10)} ${String(r.endpoints).padStart(9)}   ${t.padStart(28)}   ${c.padStart(10)}   ${String(r.bytes).padStart(10)}`);
  }
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchMetrics(arg('sizes', '100,300,1000').split(',').map(Number), Number(arg('reps', '20')));
  console.log(metricsTable(rows));
}
