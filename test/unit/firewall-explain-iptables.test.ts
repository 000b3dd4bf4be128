/**
 * The iptables flow evaluator against an iptables-save dump built from weft's own rule
 * text: br-a 10.1.0.0/24 (icc on, 8080 -> 10.1.0.2:80), br-b 10.2.0.0/24 internal with icc off.
 */
import { describe, expect, it } from 'vitest';
import { expandMappings } from '../../src/firewall/common.js';
import { explainIptables } from '../../src/firewall/explain-iptables.js';
import { hostView } from '../../src/firewall/explain-host.js';
import {
  baseLayout, fromChain, loopbackDrop, networkRules, PORTS_ACCEPT, portRules, toChain, WEFT_DNAT, WEFT_FORWARD, WEFT_ISOLATION,
  WEFT_PORTS, WEFT_RAW_PREROUTING,
} from '../../src/firewall/iptables-rules.js';
import type { FirewallNetwork } from '../../src/firewall/index.js';

const nets: FirewallNetwork[] = [
  { id: 'net1aaaaaaaaaaaa', bridge: 'br-a', subnets4: ['10.1.0.0/24'], subnets6: [], internal: false, icc: true, masquerade: true },
  { id: 'net2bbbbbbbbbbbb', bridge: 'br-b', subnets4: ['10.2.0.0/24'], subnets6: [], internal: true, icc: false, masquerade: false },
];
const port = portRules(expandMappings([{ proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, containerIp: '10.1.0.2', bridge: 'br-a' }])[0]!);

function save(): string {
  const tables = new Map<string, { chains: string[]; rules: string[] }>();
  for (const t of baseLayout(4)) {
    tables.set(t.table, { chains: t.chains, rules: t.jumps.map(([c, j]) => `-A ${c} ${j}`) });
  }
  const filter = tables.get('filter')!;
  const rs = nets.map((n) => ({ n, r: networkRules(n, 4) }));
  for (const { n, r } of rs) {
    filter.chains.push(fromChain(n.id), toChain(n.id));
    filter.rules.push(...r.dispatch.map((x) => `-A ${WEFT_FORWARD} ${x}`), `-A ${WEFT_ISOLATION} ${r.isolation}`);
    filter.rules.push(...r.from.map((x) => `-A ${fromChain(n.id)} ${x}`), ...r.to.map((x) => `-A ${toChain(n.id)} ${x}`));
  }
  filter.rules.push(`-A ${WEFT_PORTS} ${PORTS_ACCEPT}`);
  tables.get('raw')!.rules.push(`-A ${WEFT_RAW_PREROUTING} ${loopbackDrop(4)}`);
  const nat = tables.get('nat')!;
  nat.chains.push(port.chain);
  nat.rules.push(`-A ${WEFT_DNAT} ${port.jump}`, `-A ${port.chain} ${port.dnat}`);
  const builtin: Record<string, string[]> = { raw: ['PREROUTING', 'OUTPUT'], nat: ['PREROUTING', 'OUTPUT', 'POSTROUTING'] };
  builtin.filter = ['INPUT', 'FORWARD', 'OUTPUT'];
  return [...tables].map(([name, t]) => [
    `*${name}`,
    ...builtin[name]!.map((c) => `:${c} ${name === 'filter' && c === 'FORWARD' ? 'DROP' : 'ACCEPT'} [0:0]`),
    ...t.chains.map((c) => `:${c} - [0:0]`), ...t.rules, 'COMMIT',
  ].join('\n')).join('\n');
}

const host = hostView(
  [{ dev: 'eth0', ip: '192.168.77.1' }, { dev: 'br-a', ip: '10.1.0.1' }],
  [{ dev: 'br-a', dst: '10.1.0.0', prefix: 24 }, { dev: 'br-b', dst: '10.2.0.0', prefix: 24 }, { dev: 'eth0', dst: '0.0.0.0', prefix: 0 }],
);
const tcp = (iif: string | undefined, saddr: string, daddr: string, dport: number) => ({ iif, saddr, daddr, proto: 'tcp' as const, dport });

describe('explainIptables', () => {
  const dump = save();

  it('accepts a flow inside an icc-on network and drops one inside an icc-off one', () => {
    expect(explainIptables(dump, tcp('br-a', '10.1.0.2', '10.1.0.3', 80), host).decidedBy).toMatchObject({ rule: '-o br-a -j ACCEPT' });
    const e = explainIptables(dump, tcp('br-b', '10.2.0.2', '10.2.0.3', 80), host);
    expect(e).toMatchObject({ verdict: 'drop', decidedBy: { chain: 'WEFT-FROM-net2bbbbbbbb', rule: '-o br-b -j DROP' } });
  });

  it('drops a flow to another network in WEFT-ISOLATION', () => {
    const e = explainIptables(dump, tcp('br-a', '10.1.0.2', '10.2.0.3', 80), host);
    expect(e).toMatchObject({ verdict: 'drop', decidedBy: { chain: 'WEFT-ISOLATION', rule: '-o br-b -j DROP' } });
  });

  it('follows a published port through its block chain DNAT into WEFT-PORTS', () => {
    const e = explainIptables(dump, tcp('eth0', '192.168.77.2', '192.168.77.1', 8080), host);
    expect(e).toMatchObject({ verdict: 'accept', dnat: { addr: '10.1.0.2', port: 80 }, egress: 'br-a', decidedBy: { chain: 'WEFT-PORTS' } });
  });

  it('drops a neighbour at a container address and a loopback destination', () => {
    expect(explainIptables(dump, tcp('eth0', '192.168.77.2', '10.1.0.2', 80), host).decidedBy).toMatchObject({ rule: '-j DROP' });
    const lo = explainIptables(dump, tcp('eth0', '192.168.77.2', '127.0.0.1', 8080), host);
    expect(lo).toMatchObject({ verdict: 'drop', decidedBy: { table: 'iptables raw', chain: 'WEFT-RAW-PREROUTING' } });
  });

  it('applies the chain policy when no rule decides, and shows a rule deleted from the dump as missing', () => {
    const e = explainIptables(dump, tcp('eth0', '192.168.77.2', '192.168.77.9', 80), host);
    expect(e).toMatchObject({ verdict: 'drop', decidedBy: { chain: 'FORWARD', rule: 'policy DROP' } });
    const cut = dump.replace(`-A WEFT-ISOLATION -o br-b -j DROP\n`, '');
    // Without the isolation rule the source network's final accept lets it out.
    const open = explainIptables(cut, tcp('br-a', '10.1.0.2', '10.2.0.3', 80), host);
    expect(open).toMatchObject({ verdict: 'accept', decidedBy: { chain: 'WEFT-FROM-net1aaaaaaaa', rule: '-j ACCEPT' } });
  });

  it('reports a match it does not read instead of guessing', () => {
    const odd = dump.replace('-A WEFT-PORTS', '-A WEFT-PORTS -m owner --uid-owner 0 -j DROP\n-A WEFT-PORTS');
    const e = explainIptables(odd, tcp('eth0', '192.168.77.2', '192.168.77.1', 8080), host);
    expect(e.steps.some((s) => s.action.startsWith('not evaluated'))).toBe(true);
    expect(e.verdict).toBe('accept');
  });
});
