/**
 * Publish/unpublish cost of one container's port at 1, 100 and 1,000 published
 * containers, for both firewall backends: the figure that shows whether the rules stay
 * flat as the host fills up. Runs the firewall backend in-process against a throwaway
 * network namespace (weft-b-fw-*), removed at the end, also on failure.
 *
 *   node dist/scripts/bench/ports.js [--sizes 1,100,1000] [--reps 30] [--json FILE]
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createFirewall, type FirewallKind } from '../../src/firewall/index.js';
import type { FirewallNetwork, PortMapping } from '../../src/contracts/firewall.js';
import { pct } from './harness.js';

export interface PortsRow { backend: FirewallKind; published: number; addP50: number; addP90: number; removeP50: number; removeP90: number }

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

/** Container i's mapping: host port 10000+i -> 10.60.x.y:80, like `-p 10000+i:80`. */
function mapping(i: number): PortMapping {
  const containerIp = `10.60.${(i >> 8) & 255}.${(i & 255) || 1}`;
  return { proto: 'tcp', hostIp: '', hostPort: 10000 + i, containerPort: 80, containerIp, bridge: 'br-bench' };
}

export async function benchPorts(sizes: number[], reps: number): Promise<PortsRow[]> {
  const rows: PortsRow[] = [];
  for (const backend of ['nftables', 'iptables'] as const) {
    const ns = `weft-b-fw-${crypto.randomBytes(3).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', ns]);
    const fw = createFirewall(backend, { netnsPath: `/run/netns/${ns}` });
    try {
      await fw.init();
      const net: FirewallNetwork = { id: 'benchbenchbench', bridge: 'br-bench', subnets4: ['10.60.0.0/16'], subnets6: [],
        internal: false, icc: true, masquerade: true };
      await fw.addNetwork(net);
      let loaded = 0;
      for (const n of sizes) {
        // n containers published: n-1 already there, the measured one is the n-th.
        for (; loaded < n - 1; loaded++) await fw.addPortMappings(`ep${loaded}`, [mapping(loaded)]);
        const add: number[] = [];
        const remove: number[] = [];
        const probe = mapping(30000);
        for (let r = 0; r < reps; r++) {
          let t = process.hrtime.bigint();
          await fw.addPortMappings('probe', [probe]);
          add.push(Number(process.hrtime.bigint() - t) / 1e6);
          t = process.hrtime.bigint();
          await fw.removePortMappings('probe', [probe]);
          remove.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
        rows.push({ backend, published: n, addP50: pct(add, 50), addP90: pct(add, 90),
          removeP50: pct(remove, 50), removeP90: pct(remove, 90) });
        process.stderr.write(`  ${backend} at ${n}: add ${pct(add, 50).toFixed(2)} ms, remove ${pct(remove, 50).toFixed(2)} ms\n`);
      }
    } finally {
      fw.close?.();
      execFileSync('ip', ['netns', 'del', ns]);
    }
  }
  return rows;
}

export function portsTable(rows: PortsRow[]): string {
  const out = ['backend    published   publish p50 (p90) ms   unpublish p50 (p90) ms'];
  for (const r of rows) {
    const add = `${r.addP50.toFixed(2)} (${r.addP90.toFixed(2)})`;
    const remove = `${r.removeP50.toFixed(2)} (${r.removeP90.toFixed(2)})`;
    out.push(`${r.backend.padEnd(10)} ${String(r.published).padStart(9)}   ${add.padStart(20)}   ${remove.padStart(22)}`);
  }
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = arg('sizes', '1,100,1000').split(',').map(Number);
  const rows = await benchPorts(sizes, Number(arg('reps', '30')));
  console.log(portsTable(rows));
  const json = arg('json', '');
  if (json) fs.writeFileSync(json, JSON.stringify(rows, null, 2));
}
