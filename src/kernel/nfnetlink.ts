/**
 * netfilter netlink (NETLINK_NETFILTER) dumps for reading kernel counters on scrape:
 * nf_tables set elements and rules, without libnftables' cache building and text
 * printing (a 1,000-element set lists in ~15 ms through nft, well under 1 ms here), and
 * the accounting objects of nfnetlink_acct (what `-m nfacct` counts into).
 * A handle is bound to the namespace it was opened in, as rtnl.ts.
 */
import { createNetlink, Flags, FlagsGet, type NetlinkSocket } from 'netlink';
import { Serial } from '../util/lock.js';
import { inNetns, netnsIdentity } from './netns.js';

const NETLINK_NETFILTER = 12;
const NFNL_SUBSYS_NFTABLES = 10;
const NFNL_SUBSYS_ACCT = 7;
const ACCT_MSG = { NEW: 0, GET: 1, DEL: 3 };
const ACCT_ATTR = { NAME: 1, PKTS: 2, BYTES: 3 };
const NFT_MSG_GETRULE = 7;
const NFT_MSG_GETSETELEM = 13;
const NLA_TYPE_MASK = 0x3fff;
const DUMP_ATTEMPTS = 10;
/**
 * Reads into one 64 KiB buffer instead of peeking at each message's size: the kernel sizes
 * each dump batch by the reader's last buffer, so a thousand rules come in a few batches
 * (each a wakeup of the event loop) rather than dozens.
 */
const DUMP_SOCKET = { messagePeeking: false, msgBufferSize: 65536, recvBufferSize: 1 << 20, sendBufferSize: 1 << 16 };

const NFPROTO_UNSPEC = 0;
export const NFPROTO_INET = 1;
export const NFPROTO_IPV4 = 2;
export const NFPROTO_IPV6 = 10;

// Attribute numbers of linux/netfilter/nf_tables.h.
const SET_ELEM_LIST = { TABLE: 1, SET: 2, ELEMENTS: 3 };
const SET_ELEM = { KEY: 1, EXPR: 7, EXPRESSIONS: 11 };
const RULE = { TABLE: 1, CHAIN: 2, HANDLE: 3, EXPRESSIONS: 4 };
const LIST_ELEM = 1;
const DATA_VALUE = 1;
const EXPR = { NAME: 1, DATA: 2 };
const COUNTER = { BYTES: 1, PACKETS: 2 };

/** Calls visit(type, start, end) for each attribute in buf[start, end) until it returns true. */
function walk(buf: Buffer, start: number, end: number, visit: (type: number, s: number, e: number) => boolean | undefined): void {
  for (let off = start; off + 4 <= end;) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > end) return;
    if (visit(buf.readUInt16LE(off + 2) & NLA_TYPE_MASK, off + 4, off + len)) return;
    off += (len + 3) & ~3;
  }
}

/** The range of the first attribute of `type` in buf[start, end), found in place (a plain loop: a scrape makes thousands of these). */
function find(buf: Buffer, start: number, end: number, type: number): [number, number] | undefined {
  for (let off = start; off + 4 <= end;) {
    const len = buf[off] | (buf[off + 1] << 8);
    if (len < 4 || off + len > end) return undefined;
    if (((buf[off + 2] | (buf[off + 3] << 8)) & NLA_TYPE_MASK) === type) return [off + 4, off + len];
    off += (len + 3) & ~3;
  }
  return undefined;
}

const COUNTER_NAME = Buffer.from('counter\0');

type Counts = { packets: number; bytes: number };

/** The packets and bytes of one expression in buf[start, end) if it is a `counter`, read in place. */
function exprCounter(buf: Buffer, start: number, end: number): Counts | undefined {
  const name = find(buf, start, end, EXPR.NAME);
  const n = COUNTER_NAME.length;
  if (!name || name[1] - name[0] < n || buf.compare(COUNTER_NAME, 0, n, name[0], name[0] + n) !== 0) return undefined;
  const data = find(buf, start, end, EXPR.DATA) ?? [0, 0];
  const u64 = (type: number) => {
    const r = find(buf, data[0], data[1], type);
    return r && r[1] - r[0] >= 8 ? Number(buf.readBigUInt64BE(r[0])) : 0;
  };
  return { packets: u64(COUNTER.PACKETS), bytes: u64(COUNTER.BYTES) };
}

/**
 * The first `counter` of an expression list: a scrape reads a thousand of them, so it walks
 * the message in place and makes no attribute objects.
 */
function listCounter(buf: Buffer, start: number, end: number): Counts | undefined {
  let out: Counts | undefined;
  walk(buf, start, end, (_t, s, e) => {
    out = exprCounter(buf, s, e);
    return out !== undefined;
  });
  return out;
}

/**
 * The attributes of one level of a netlink message, as offsets into the message (type,
 * start, end triples): a dump of a thousand elements makes no Buffer per attribute.
 * NLA_F_NESTED and the byte-order bit are cleared from types; repeated types keep all.
 */
export class Attrs {
  private constructor(readonly buf: Buffer, private readonly at: number[]) {}

  static parse(buf: Buffer, start = 0, end = buf.length): Attrs {
    const at: number[] = [];
    walk(buf, start, end, (type, s, e) => {
      at.push(type, s, e);
      return false;
    });
    return new Attrs(buf, at);
  }

  private index(type: number): number {
    for (let i = 0; i < this.at.length; i += 3) if (this.at[i] === type) return i;
    return -1;
  }

  /** The attribute's own attributes (a nested one); empty when absent. */
  nested(type: number): Attrs {
    const i = this.index(type);
    return i < 0 ? new Attrs(this.buf, []) : Attrs.parse(this.buf, this.at[i + 1], this.at[i + 2]);
  }

  /** Every attribute of `type`, each parsed as nested (NFTA_LIST_ELEM lists). */
  each(type: number): Attrs[] {
    const out: Attrs[] = [];
    for (let i = 0; i < this.at.length; i += 3) if (this.at[i] === type) out.push(Attrs.parse(this.buf, this.at[i + 1], this.at[i + 2]));
    return out;
  }

  /** The payload's bytes (a view, not a copy). */
  bytes(type: number): Buffer | undefined {
    const i = this.index(type);
    return i < 0 ? undefined : this.buf.subarray(this.at[i + 1], this.at[i + 2]);
  }

  u32(type: number): number | undefined {
    const i = this.index(type);
    return i < 0 || this.at[i + 2] - this.at[i + 1] < 4 ? undefined : this.buf.readUInt32BE(this.at[i + 1]);
  }

  str(type: number): string {
    const i = this.index(type);
    if (i < 0) return '';
    const nul = this.buf.indexOf(0, this.at[i + 1]);
    return this.buf.toString('latin1', this.at[i + 1], nul < 0 || nul > this.at[i + 2] ? this.at[i + 2] : nul);
  }
}

export function strAttr(type: number, value: string): Buffer {
  const body = Buffer.from(`${value}\0`);
  const out = Buffer.alloc((4 + body.length + 3) & ~3);
  out.writeUInt16LE(4 + body.length, 0);
  out.writeUInt16LE(type, 2);
  body.copy(out, 4);
  return out;
}

function nfgenmsg(family: number): Buffer {
  return Buffer.from([family, 0, 0, 0]);
}

/** One nf_tables expression: its name and its own attributes. */
export interface NftExpr { name: string; attrs: Attrs }

function parseExpr(a: Attrs): NftExpr {
  return { name: a.str(EXPR.NAME), attrs: a.nested(EXPR.DATA) };
}

/** One nfacct accounting object and what it counted. */
export interface AcctObject { name: string; packets: number; bytes: number }

/** One set element: its key as the kernel stores it and its counter, if it has one. */
export interface SetElement { key: Buffer; counter: Counts | undefined }

/**
 * One rule of a chain: its handle, its expressions in order and the packets and bytes of its
 * (first) counter. A rule never changes under a handle, so a reader may decode the
 * expressions of a handle once and after that read only the counter.
 */
export interface RuleInfo { handle: number; exprs(): NftExpr[]; counter(): Counts | undefined }

export class Nfnl {
  private readonly queue = new Serial();

  private constructor(private readonly sock: NetlinkSocket) {}

  static open(nsPath?: string): Nfnl {
    return new Nfnl(inNetns(nsPath, () => createNetlink(NETLINK_NETFILTER, DUMP_SOCKET)));
  }

  close(): void {
    this.sock.close();
  }

  /** The elements of one set (a missing table or set is an error from the kernel). */
  async setElements(family: number, table: string, set: string): Promise<SetElement[]> {
    const msgs = await this.dump(NFT_MSG_GETSETELEM, family, [strAttr(SET_ELEM_LIST.TABLE, table), strAttr(SET_ELEM_LIST.SET, set)]);
    const out: SetElement[] = [];
    for (const m of msgs) {
      const elements = find(m, 4, m.length, SET_ELEM_LIST.ELEMENTS) ?? [0, 0];
      walk(m, elements[0], elements[1], (_t, s, e) => {
        const key = find(m, s, e, SET_ELEM.KEY);
        const value = key && find(m, key[0], key[1], DATA_VALUE);
        const one = find(m, s, e, SET_ELEM.EXPR);
        const list = find(m, s, e, SET_ELEM.EXPRESSIONS);
        const counter = one ? exprCounter(m, one[0], one[1]) : list && listCounter(m, list[0], list[1]);
        out.push({ key: value ? m.subarray(value[0], value[1]) : Buffer.alloc(0), counter });
        return false;
      });
    }
    return out;
  }

  /** The rules of one chain, in chain order. */
  async rules(family: number, table: string, chain: string): Promise<RuleInfo[]> {
    const msgs = await this.dump(NFT_MSG_GETRULE, family, [strAttr(RULE.TABLE, table), strAttr(RULE.CHAIN, chain)]);
    return msgs.map((m) => {
      const handle = find(m, 4, m.length, RULE.HANDLE);
      const list = find(m, 4, m.length, RULE.EXPRESSIONS) ?? [0, 0];
      return {
        handle: handle && handle[1] - handle[0] >= 8 ? Number(m.readBigUInt64BE(handle[0])) : 0,
        exprs: () => Attrs.parse(m, list[0], list[1]).each(LIST_ELEM).map(parseExpr),
        counter: () => listCounter(m, list[0], list[1]),
      };
    });
  }

  /** Every accounting object of the namespace, with its counts. */
  async acctObjects(): Promise<AcctObject[]> {
    const msgs = await this.dump(ACCT_MSG.GET, NFPROTO_UNSPEC, [], NFNL_SUBSYS_ACCT);
    const u64 = (m: Buffer, type: number) => {
      const r = find(m, 4, m.length, type);
      return r && r[1] - r[0] >= 8 ? Number(m.readBigUInt64BE(r[0])) : 0;
    };
    return msgs.map((m) => {
      const r = find(m, 4, m.length, ACCT_ATTR.NAME) ?? [4, 4];
      const nul = m.indexOf(0, r[0]);
      const name = m.toString('latin1', r[0], nul < 0 || nul > r[1] ? r[1] : nul);
      return { name, packets: u64(m, ACCT_ATTR.PKTS), bytes: u64(m, ACCT_ATTR.BYTES) };
    });
  }

  /** Creates an accounting object at zero; one of that name already there is kept with its counts. */
  async acctCreate(name: string): Promise<void> {
    await this.acct(ACCT_MSG.NEW, name).catch((err: Error) => {
      if (!/EBUSY/.test(err.message)) throw err;
    });
  }

  /** Deletes an accounting object (the kernel refuses, EBUSY, while a rule still counts into it). */
  acctDelete(name: string): Promise<void> {
    return this.acct(ACCT_MSG.DEL, name);
  }

  private async acct(msg: number, name: string): Promise<void> {
    const type = (NFNL_SUBSYS_ACCT << 8) | msg;
    await this.queue.run(() => this.sock.request(type, [nfgenmsg(NFPROTO_UNSPEC), strAttr(ACCT_ATTR.NAME, name)]));
  }

  /** The messages of a dump (their payload starts with nfgenmsg); an interrupted dump (the table changed) is asked again. */
  async dump(msg: number, family: number, attrs: Buffer[], subsys = NFNL_SUBSYS_NFTABLES): Promise<Buffer[]> {
    const type = (subsys << 8) | msg;
    for (let attempt = 1; ; attempt++) {
      const [msgs] = await this.queue.run(() => this.sock.request(type, [nfgenmsg(family), ...attrs], { flags: FlagsGet.DUMP }));
      if (!msgs.some((m) => m.flags & Flags.DUMP_INTR) || attempt >= DUMP_ATTEMPTS) return msgs.map((m) => m.data);
    }
  }
}

/** An Nfnl opened on first use, and again when the namespace file names another namespace. */
export class NfnlHandle {
  private nl: Nfnl | undefined;
  private ns = '';

  constructor(private readonly nsPath?: string) {}

  get(): Nfnl {
    const ns = netnsIdentity(this.nsPath);
    if (this.nl && this.ns !== ns) this.close();
    if (!this.nl) {
      this.nl = Nfnl.open(this.nsPath);
      this.ns = ns;
    }
    return this.nl;
  }

  close(): void {
    this.nl?.close();
    this.nl = undefined;
  }
}
