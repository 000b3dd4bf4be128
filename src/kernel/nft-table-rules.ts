/**
 * Every rule of one nf_tables table in one netlink dump: its chain, its verdict and its
 * counter. For the per-network forwarding and drop counters read on scrape: one dump per
 * table instead of one per chain, so a scrape's cost does not grow with dumps per network.
 */
import { Attrs, type Nfnl, strAttr } from './nfnetlink.js';

const NFT_MSG_GETRULE = 7;
const RULE = { TABLE: 1, CHAIN: 2, EXPRESSIONS: 4 };
const LIST_ELEM = 1;
const EXPR = { NAME: 1, DATA: 2 };
const COUNTER = { BYTES: 1, PACKETS: 2 };
const IMMEDIATE_DATA = 2;
const DATA_VERDICT = 2;
const VERDICT = { CODE: 1, CHAIN: 2 };
/** linux/netfilter.h and nf_tables.h verdict codes (negative ones as the kernel's u32). */
const CODES: Record<number, string> = { 0: 'drop', 1: 'accept', [2 ** 32 - 1]: 'continue', [2 ** 32 - 5]: 'return' };
const JUMP = 2 ** 32 - 3;
const GOTO = 2 ** 32 - 4;

/** One rule: `verdict` is accept, drop, return, continue, `jump <chain>` or `goto <chain>`; undefined for none (a vmap). */
export interface TableRule { chain: string; verdict: string | undefined; packets: number; bytes: number }

function u64(a: Attrs, type: number): number {
  const b = a.bytes(type);
  return b && b.length >= 8 ? Number(b.readBigUInt64BE(0)) : 0;
}

function verdictOf(data: Attrs): string | undefined {
  const v = data.nested(IMMEDIATE_DATA).nested(DATA_VERDICT);
  const code = v.u32(VERDICT.CODE);
  if (code === undefined) return undefined;
  if (code === JUMP || code === GOTO) return `${code === JUMP ? 'jump' : 'goto'} ${v.str(VERDICT.CHAIN)}`;
  return CODES[code];
}

/** Decode one rule message (its payload after the nfgenmsg header); undefined for a chain `wanted` refuses. */
export function decodeTableRule(m: Buffer, wanted: (chain: string) => boolean = () => true): TableRule | undefined {
  const a = Attrs.parse(m, 4, m.length);
  const chain = a.str(RULE.CHAIN);
  if (!wanted(chain)) return undefined;
  const out: TableRule = { chain, verdict: undefined, packets: 0, bytes: 0 };
  let counted = false;
  for (const e of a.nested(RULE.EXPRESSIONS).each(LIST_ELEM)) {
    const name = e.str(EXPR.NAME);
    const data = e.nested(EXPR.DATA);
    if (name === 'counter' && !counted) {
      counted = true;
      out.packets = u64(data, COUNTER.PACKETS);
      out.bytes = u64(data, COUNTER.BYTES);
    } else if (name === 'immediate') {
      out.verdict = verdictOf(data) ?? out.verdict;
    }
  }
  return out;
}

/**
 * The rules of the chains of `table` that `wanted` accepts, each chain's in order (a missing
 * table is an error from the kernel); the others' expressions are not decoded.
 */
export async function tableRules(nl: Nfnl, family: number, table: string, wanted?: (chain: string) => boolean): Promise<TableRule[]> {
  const msgs = await nl.dump(NFT_MSG_GETRULE, family, [strAttr(RULE.TABLE, table)]);
  const out: TableRule[] = [];
  for (const m of msgs) {
    const r = decodeTableRule(m, wanted);
    if (r) out.push(r);
  }
  return out;
}
