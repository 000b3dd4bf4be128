/**
 * Golden files for the firewall rule generators: for each scenario below, the nftables script
 * (test/golden/nft/<scenario>.nft) and the iptables-restore input per family
 * (test/golden/iptables/<scenario>.rules) that the pure generators produce. The files are the
 * spec of the packet filter: a change to a generator shows up as a diff of them to review.
 *
 * On a mismatch the test fails with a line diff. To accept a deliberate change, rewrite the
 * files and review them with git diff:
 *
 *   UPDATE_GOLDEN=1 npx vitest run --config test/vitest.config.ts test/unit/firewall-golden.test.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expandMappings } from '../../src/firewall/common.js';
import { planAddNetwork, planAddPorts, planInit, parseSave, RestoreBatch } from '../../src/firewall/iptables-rules.js';
import { addNetworkScript, addPortsScript, initScript } from '../../src/firewall/nft-rules.js';
import type { FirewallNetwork, PortMapping } from '../../src/contracts/firewall.js';

const GOLDEN = fileURLToPath(new URL('../golden', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface Scenario {
  name: string;
  networks: FirewallNetwork[];
  ports?: PortMapping[];
}

const bridge = (over: Partial<FirewallNetwork> = {}): FirewallNetwork => ({
  id: 'aaaaaaaaaaaa0123456789', bridge: 'br-a', subnets4: ['172.18.0.0/16'], subnets6: [],
  internal: false, icc: true, masquerade: true, ...over,
});

const port = (over: Partial<PortMapping>): PortMapping => ({
  proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, containerIp: '172.18.0.2', bridge: 'br-a', ...over,
});

const SCENARIOS: Scenario[] = [
  { name: 'bridge-defaults', networks: [bridge()] },
  { name: 'icc-off', networks: [bridge({ icc: false })] },
  { name: 'internal', networks: [bridge({ internal: true })] },
  { name: 'masquerade-off', networks: [bridge({ masquerade: false })] },
  { name: 'dual-stack', networks: [bridge({ subnets6: ['fd00:18::/64'] })] },
  {
    name: 'published-ports',
    networks: [bridge({ subnets6: ['fd00:18::/64'] })],
    ports: [
      port({}),
      port({ proto: 'udp', hostPort: 5353, containerPort: 53 }),
      port({ proto: 'sctp', hostPort: 3868, containerPort: 3868 }),
      port({ hostIp: '127.0.0.1', hostPort: 8443, containerPort: 443 }),
      port({ hostPort: 9000, hostPortEnd: 9002, containerPort: 9000, containerPortEnd: 9002 }),
      port({ hostIp: '::', hostPort: 8080, containerPort: 80, containerIp: 'fd00:18::2' }),
    ],
  },
  {
    name: 'two-networks',
    networks: [
      bridge(),
      bridge({ id: 'bbbbbbbbbbbb0123456789', bridge: 'br-b', subnets4: ['172.19.0.0/16'] }),
    ],
  },
  {
    // Published container ports open by address from two trusted interfaces, and from every interface.
    name: 'direct-access',
    networks: [
      bridge({ trustedInterfaces: ['eth1', 'wg0'] }),
      bridge({ id: 'bbbbbbbbbbbb0123456789', bridge: 'br-b', subnets4: ['172.19.0.0/16'], allowDirectRouting: true }),
    ],
  },
];

function nftText(s: Scenario): string {
  const parts = [initScript(), ...s.networks.map(addNetworkScript)];
  if (s.ports) parts.push(addPortsScript(expandMappings(s.ports)));
  return parts.map((p) => p.trimEnd()).join('\n').concat('\n');
}

/** One iptables-restore batch per family, planned on an empty ruleset. */
function iptablesText(s: Scenario): string {
  const rules = expandMappings(s.ports ?? []);
  const out: string[] = [];
  for (const family of [4, 6] as const) {
    if (family === 6 && !s.networks.some((n) => n.subnets6.length)) continue;
    const b = new RestoreBatch(parseSave(''));
    planInit(b, family);
    for (const n of s.networks) planAddNetwork(b, n, family);
    const own = rules.filter((r) => r.family === family);
    if (own.length) planAddPorts(b, own, family);
    out.push(`# ${family === 4 ? 'iptables-restore' : 'ip6tables-restore'} --noflush`, b.render().trimEnd());
  }
  return `${out.join('\n')}\n`;
}

/** A line diff (longest common subsequence): "- " lines only in the file, "+ " lines only in the output. */
function diff(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (j < b.length && (i === a.length || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out.push(`${i + 1}: + ${b[j++]}`);
    } else {
      out.push(`${i + 1}: - ${a[i++]}`);
    }
  }
  return out.join('\n');
}

function check(file: string, actual: string): void {
  const full = path.join(GOLDEN, file);
  if (UPDATE) {
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, actual);
    return;
  }
  if (!fs.existsSync(full)) throw new Error(`${file} is missing: run with UPDATE_GOLDEN=1 to write it`);
  const expected = fs.readFileSync(full, 'utf8');
  if (expected !== actual) {
    expect.fail(`${file} differs from the generator output (UPDATE_GOLDEN=1 rewrites it):\n${diff(expected, actual)}`);
  }
}

describe('firewall golden files', () => {
  for (const s of SCENARIOS) {
    it(`${s.name}: nftables`, () => check(`nft/${s.name}.nft`, nftText(s)));
    it(`${s.name}: iptables`, () => check(`iptables/${s.name}.rules`, iptablesText(s)));
  }
});
