/**
 * Per-published-port traffic counters for the iptables backend: one rule without a target
 * per host port in `mangle WEFT-COUNT` (jumped to from POSTROUTING), matching the packets
 * its DNAT sent on, forwarded or from the host itself. The kernel counts; a scrape reads the
 * rule counters with one `iptables-save -c -t mangle` per family.
 *
 *   mangle POSTROUTING  -j WEFT-COUNT
 *   WEFT-COUNT          -d <container ip> -p P -m P --dport <container port>
 *                       -m conntrack --ctstate DNAT [--ctorigdst <host ip>] --ctorigdstport <host port>
 */
import type { PortCounter, Protocol } from '../contracts/firewall.js';
import type { PortRule } from './common.js';
import type { RestoreBatch } from './iptables-rules.js';

export const WEFT_COUNT = 'WEFT-COUNT';
const JUMP = `-j ${WEFT_COUNT}`;

/** The counting rule of one host port, exactly as iptables-save prints it. */
export function countRule(r: PortRule): string {
  const dst = `-d ${r.containerIp}/${r.family === 4 ? 32 : 128}`;
  const orig = r.hostIp ? `--ctorigdst ${r.hostIp} ` : '';
  return `${dst} -p ${r.proto} -m ${r.proto} --dport ${r.containerPort} -m conntrack --ctstate DNAT ${orig}--ctorigdstport ${r.hostPort}`;
}

/** The chain and its jump. */
export function planCountBase(b: RestoreBatch): void {
  b.ensureChain('mangle', WEFT_COUNT);
  b.ensure('mangle', 'POSTROUTING', JUMP, true);
}

export function planCountPorts(b: RestoreBatch, rules: PortRule[], op: 'add' | 'remove'): void {
  planCountBase(b);
  for (const r of rules) {
    if (op === 'add') b.ensure('mangle', WEFT_COUNT, countRule(r));
    else b.remove('mangle', WEFT_COUNT, countRule(r));
  }
}

/** The counting rules become exactly those of `rules`. */
export function planSyncCounts(b: RestoreBatch, rules: PortRule[]): void {
  planCountBase(b);
  const want = new Set(rules.map(countRule));
  for (const spec of new Set(b.rulesOf('mangle', WEFT_COUNT))) if (!want.has(spec)) b.remove('mangle', WEFT_COUNT, spec);
  for (const spec of want) b.ensure('mangle', WEFT_COUNT, spec);
}

/** `-A`/`-D` lines of the fast port path for the counting rules of `rules`. */
export function countLines(rules: PortRule[], op: 'add' | 'remove'): string[] {
  return rules.map((r) => `${op === 'add' ? '-A' : '-D'} ${WEFT_COUNT} ${countRule(r)}`);
}

const COUNTED = new RegExp(
  `^\\[(\\d+):(\\d+)\\] -A ${WEFT_COUNT} -d ([0-9a-fA-F.:]+)/\\d+ -p (tcp|udp|sctp) -m \\w+ --dport (\\d+) ` +
  '-m conntrack --ctstate DNAT (?:--ctorigdst (\\S+) )?--ctorigdstport (\\d+)$',
);

/** The counters of `iptables-save -c -t mangle` output. */
export function parseCountSave(text: string): PortCounter[] {
  const out: PortCounter[] = [];
  for (const line of text.split('\n')) {
    const m = COUNTED.exec(line);
    if (!m) continue;
    out.push({
      packets: Number(m[1]), bytes: Number(m[2]), containerIp: m[3], proto: m[4] as Protocol, containerPort: Number(m[5]),
      ...(m[6] ? { hostIp: m[6] } : {}), hostPort: Number(m[7]),
    });
  }
  return out;
}
