/** `weft network explain SRC DST:PORT/PROTO`: the live firewall rules that allow or drop one flow. */
import type { Command } from 'commander';
import type { Ctx } from '../context.js';

interface Step { table: string; chain: string; rule: string; action: string; meaning?: string }
interface Reply {
  flow: { iif?: string; saddr: string; daddr: string; proto: string; dport: number };
  verdict: string;
  dnat?: { addr: string; port: number };
  egress?: string;
  decidedBy?: Step;
  steps: Step[];
}

/** "c2:80/tcp", "[fd00::2]:53/udp", "host:8080" (tcp). */
export function parseTarget(arg: string): { dst: string; port: string; proto: string } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)(?:\/(tcp|udp|sctp))?$/.exec(arg);
  if (!m) throw new Error(`"${arg}" is not DST:PORT[/PROTO] (e.g. c2:80/tcp)`);
  return { dst: m[1]!.replace(/^\[|\]$/g, ''), port: m[2]!, proto: m[3] ?? 'tcp' };
}

export function formatExplanation(r: Reply): string {
  const f = r.flow;
  const from = f.iif === undefined ? 'the host' : `${f.iif || 'no interface'}`;
  const out = [`${f.saddr} (from ${from}) -> ${f.daddr}:${f.dport}/${f.proto}: ${r.verdict.toUpperCase()}`];
  if (r.dnat) out.push(`  published port: DNAT to ${r.dnat.addr}:${r.dnat.port}`);
  if (r.egress) out.push(`  leaves by: ${r.egress}`);
  for (const s of r.steps) {
    out.push(`  ${s.table} ${s.chain}: ${s.rule}  => ${s.action}${s.meaning ? `  (${s.meaning})` : ''}`);
  }
  const d = r.decidedBy;
  const why = d?.meaning ? ` — ${d.meaning}` : '';
  out.push(d ? `decided by: ${d.table} ${d.chain}: ${d.rule}${why}` : 'decided by: no rule (every chain let it pass)');
  return `${out.join('\n')}\n`;
}

export function registerNetworkExplain(network: Command, ctx: Ctx): void {
  network
    .command('explain')
    .description('Show which live firewall rules allow or drop a flow (SRC: container, address or host)')
    .argument('<src>', 'container name or id, address, or host')
    .argument('<dst>', 'DST:PORT[/PROTO]: container, address or host, e.g. c2:80/tcp')
    .option('--json', 'print the raw explanation')
    .action(async (src: string, dstArg: string, opts: { json?: boolean }) => {
      const { dst, port, proto } = parseTarget(dstArg);
      const r = await ctx.client().json<Reply>('GET', '/weft/network/explain', { query: { src, dst, port, proto } });
      ctx.out(opts.json ? `${JSON.stringify(r, null, 2)}\n` : formatExplanation(r));
    });
}
