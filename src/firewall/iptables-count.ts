/**
 * Per-published-port traffic counters for the iptables backend: one rule without a target
 * per host port in `mangle WEFT-COUNT` (jumped to from POSTROUTING), matching the packets
 * its DNAT sent on, forwarded or from the host itself. The kernel counts. Where the kernel
 * has nfnetlink_acct, each rule also counts into an nfacct object of its own, which a scrape
 * dumps (iptables-acct.ts); else a scrape reads the rule counters (iptables-count-read.ts,
 * or `iptables-save -c -t mangle` with legacy iptables).
 *
 *   mangle POSTROUTING  -j WEFT-COUNT
 *   WEFT-COUNT          -d <container ip> -p P -m P --dport <container port>
 *                       -m conntrack --ctstate DNAT [--ctorigdst <host ip>] --ctorigdstport <host port>
 *                       [-m nfacct --nfacct-name weft-<digest of the above>]
 */
import crypto from 'node:crypto';
import type { PortCounter, Protocol } from '../contracts/firewall.js';
import type { PortRule } from './common.js';
import type { RestoreBatch } from './iptables-rules.js';

export const WEFT_COUNT = 'WEFT-COUNT';
const JUMP = `-j ${WEFT_COUNT}`;

/** What the counting rule of one host port matches. */
function countMatch(r: PortRule): string {
  const dst = `-d ${r.containerIp}/${r.family === 4 ? 32 : 128}`;
  const orig = r.hostIp ? `--ctorigdst ${r.hostIp} ` : '';
  return `${dst} -p ${r.proto} -m ${r.proto} --dport ${r.containerPort} -m conntrack --ctstate DNAT ${orig}--ctorigdstport ${r.hostPort}`;
}

/** The nfacct object of one host port: a digest of its match, as names have at most 31 characters. */
export function acctName(r: PortRule): string {
  return `weft-${crypto.createHash('sha256').update(`${r.family} ${countMatch(r)}`).digest('base64url').slice(0, 26)}`;
}

/** The counting rule of one host port, exactly as iptables-save prints it (two spaces before an nfacct name). */
export function countRule(r: PortRule, acct = false): string {
  return acct ? `${countMatch(r)} -m nfacct --nfacct-name  ${acctName(r)}` : countMatch(r);
}

/** The chain and its jump. */
export function planCountBase(b: RestoreBatch): void {
  b.ensureChain('mangle', WEFT_COUNT);
  b.ensure('mangle', 'POSTROUTING', JUMP, true);
}

export function planCountPorts(b: RestoreBatch, rules: PortRule[], op: 'add' | 'remove', acct = false): void {
  planCountBase(b);
  for (const r of rules) {
    if (op === 'add') b.ensure('mangle', WEFT_COUNT, countRule(r, acct));
    else b.remove('mangle', WEFT_COUNT, countRule(r, acct));
  }
}

/** The counting rules become exactly those of `rules`. */
export function planSyncCounts(b: RestoreBatch, rules: PortRule[], acct = false): void {
  planCountBase(b);
  const want = new Set(rules.map((r) => countRule(r, acct)));
  for (const spec of new Set(b.rulesOf('mangle', WEFT_COUNT))) if (!want.has(spec)) b.remove('mangle', WEFT_COUNT, spec);
  for (const spec of want) b.ensure('mangle', WEFT_COUNT, spec);
}

/** `-A`/`-D` lines of the fast port path for the counting rules of `rules`. */
export function countLines(rules: PortRule[], op: 'add' | 'remove', acct = false): string[] {
  return rules.map((r) => `${op === 'add' ? '-A' : '-D'} ${WEFT_COUNT} ${countRule(r, acct)}`);
}

const COUNTED = new RegExp(
  `^\\[(\\d+):(\\d+)\\] -A ${WEFT_COUNT} -d ([0-9a-fA-F.:]+)/\\d+ -p (tcp|udp|sctp) -m \\w+ --dport (\\d+) ` +
  '-m conntrack --ctstate DNAT (?:--ctorigdst (\\S+) )?--ctorigdstport (\\d+)(?: -m nfacct --nfacct-name +(\\S+))?$',
);

/** A counting rule read back: its rule counters and, when it counts into one, its nfacct object's name. */
export type SavedCount = PortCounter & { acct?: string };

/** The counting rules of `iptables-save -c -t mangle` output. */
export function parseCountSave(text: string): SavedCount[] {
  const out: SavedCount[] = [];
  for (const line of text.split('\n')) {
    const m = COUNTED.exec(line);
    if (!m) continue;
    out.push({
      packets: Number(m[1]), bytes: Number(m[2]), containerIp: m[3], proto: m[4] as Protocol, containerPort: Number(m[5]),
      ...(m[6] ? { hostIp: m[6] } : {}), hostPort: Number(m[7]), ...(m[8] ? { acct: m[8] } : {}),
    });
  }
  return out;
}
