/**
 * Reading the WEFT-COUNT rule counters of iptables-nft over netfilter netlink: one rule
 * dump of `mangle WEFT-COUNT` per family instead of an iptables-save fork. iptables-nft
 * stores `-d`, `-p` and `--dport` as native payload/meta comparisons and the conntrack
 * match as an xt_conntrack_mtinfo3 blob; both are decoded here. With legacy iptables (no
 * nf_tables table to dump) the caller reads iptables-save instead.
 */
import os from 'node:os';
import type { PortCounter, Protocol } from '../contracts/firewall.js';
import { NFPROTO_IPV4, NFPROTO_IPV6, type NftExpr, type Nfnl, type RuleInfo } from '../kernel/nfnetlink.js';
import { bufferToIp } from '../util/ip.js';
import { WEFT_COUNT } from './iptables-count.js';

const PROTOS: Record<number, Protocol> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };
const META_L4PROTO = 16;
const BASE_NETWORK = 1;
const BASE_TRANSPORT = 2;
// struct xt_conntrack_mtinfo3: origdst_addr at 32, origdst_port at 140, match_flags at 146. Revision 3
// matches port ranges, so its ports are in host byte order despite the __be16 in the header.
const CT_ORIGDST_ADDR = 32;
const CT_ORIGDST_PORT = 140;
const CT_MATCH_FLAGS = 146;
const XT_CONNTRACK_ORIGDST = 1 << 3;

const NFTA_CMP_DATA = 3;
const NFTA_DATA_VALUE = 1;
const NFTA_MATCH_INFO = 3;

function num(e: NftExpr, type: number): number | undefined {
  return e.attrs.u32(type);
}

/** The value a `cmp` expression compares with. */
function cmpValue(e: NftExpr): Buffer | undefined {
  return e.attrs.nested(NFTA_CMP_DATA).bytes(NFTA_DATA_VALUE);
}

/** What `payload`/`meta` loaded last: the field the next `cmp` compares. */
function fieldOf(e: NftExpr): string | undefined {
  if (e.name === 'meta') return num(e, 2) === META_L4PROTO ? 'l4proto' : undefined;
  if (e.name !== 'payload') return undefined;
  const base = num(e, 2);
  const offset = num(e, 3);
  if (base === BASE_NETWORK && (offset === 16 || offset === 24)) return 'daddr';
  if (base === BASE_TRANSPORT && offset === 2) return 'dport';
  return undefined;
}

/** What a counting rule counts: everything of a PortCounter but the counts. */
export type CountKey = Omit<PortCounter, 'packets' | 'bytes'>;

/** One counting rule's key; undefined for a rule of another shape. */
export function decodeCountRule(rule: RuleInfo, family: 4 | 6): CountKey | undefined {
  let field: string | undefined;
  const got: Partial<CountKey> = {};
  for (const e of rule.exprs()) {
    if (e.name === 'cmp') {
      const v = cmpValue(e);
      if (v && field === 'l4proto') got.proto = PROTOS[v[0]];
      if (v && field === 'daddr' && (v.length === 4 || v.length === 16)) got.containerIp = bufferToIp(v);
      if (v && field === 'dport' && v.length >= 2) got.containerPort = v.readUInt16BE(0);
      field = undefined;
    } else if (e.name === 'match') {
      const info = e.attrs.bytes(NFTA_MATCH_INFO);
      if (!info || info.length < CT_MATCH_FLAGS + 2) continue;
      got.hostPort = os.endianness() === 'LE' ? info.readUInt16LE(CT_ORIGDST_PORT) : info.readUInt16BE(CT_ORIGDST_PORT);
      if ((os.endianness() === 'LE' ? info.readUInt16LE(CT_MATCH_FLAGS) : info.readUInt16BE(CT_MATCH_FLAGS)) & XT_CONNTRACK_ORIGDST) {
        got.hostIp = bufferToIp(info.subarray(CT_ORIGDST_ADDR, CT_ORIGDST_ADDR + (family === 4 ? 4 : 16)));
      }
    } else {
      field = fieldOf(e);
    }
  }
  const { proto, containerIp, containerPort, hostPort } = got;
  if (!proto || !containerIp || containerPort === undefined || !hostPort) return undefined;
  return got as CountKey;
}

/**
 * Reads the counting rules of both families, decoding each rule handle's key once (rules
 * are immutable in nf_tables): a scrape then only walks to each rule's counter.
 */
export class CountRuleReader {
  private readonly keys: Record<4 | 6, Map<number, CountKey | null>> = { 4: new Map(), 6: new Map() };

  /** One family's counting rules; throws when nf_tables has no such chain (legacy iptables). */
  async read(nl: Nfnl, family: 4 | 6): Promise<PortCounter[]> {
    const rules = await nl.rules(family === 4 ? NFPROTO_IPV4 : NFPROTO_IPV6, 'mangle', WEFT_COUNT);
    const known = this.keys[family];
    const seen = new Map<number, CountKey | null>();
    const out: PortCounter[] = [];
    for (const r of rules) {
      const key = known.has(r.handle) ? known.get(r.handle)! : decodeCountRule(r, family) ?? null;
      seen.set(r.handle, key);
      const c = key && r.counter();
      if (key && c) out.push({ ...key, packets: c.packets, bytes: c.bytes });
    }
    this.keys[family] = seen;
    return out;
  }
}
