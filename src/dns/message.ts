/**
 * DNS messages on the wire: queries decoded and validated, local answers encoded.
 *
 * dns-packet encodes the answer (header, records, EDNS OPT). Two things it cannot do are done
 * after it: the question is echoed exactly as asked (the asker's letter case and bytes), and
 * each answer's owner name is a pointer to that question name (RFC 1035 4.1.4), which keeps an
 * A record at 16 bytes so that answers fit in 512-byte UDP for clients that never retry over
 * TCP. dns-packet writes a one-byte root name in both places, replaced here.
 */
import dnsPacket from 'dns-packet';

export type Transport = 'udp' | 'tcp';

export const RCODE_NOERROR = 0;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_REFUSED = 5;

/** A query worth answering (malformed ones never get this far). */
export interface Query {
  id: number;
  rd: boolean;
  /** Raw bytes of the first question, echoed verbatim in local answers. */
  question: Buffer;
  /** Lowercase, without trailing dots; '' for the root. */
  name: string;
  qtype: string;
  qclass: string;
  /** EDNS UDP payload size if the query carries an OPT record. */
  edns?: number | undefined;
}

/** Records of a local answer; owner names are written by encodeResponse. */
export interface LocalRecord { type: 'A' | 'AAAA' | 'PTR'; ttl: number; data: string }

const HEADER_BYTES = 12;
const FLAG_QR = 0x8000;
const UDP_DEFAULT_LIMIT = 512;
/** Largest UDP answer we send, whatever the client's EDNS buffer size says. */
const UDP_MAX_LIMIT = 4096;
/** EDNS UDP payload size we advertise in responses to EDNS queries. */
const ADVERTISED_UDP_SIZE = 1232;

const ROOT = '.';
const PLACEHOLDER_QUESTION: dnsPacket.Question = { name: ROOT, type: 'A', class: 'IN' };
const PLACEHOLDER_QUESTION_BYTES = 5;
const POINTER_TO_QUESTION = Buffer.from([0xc0, HEADER_BYTES]);
const OPT: dnsPacket.OptAnswer = {
  type: 'OPT', name: ROOT, udpPayloadSize: ADVERTISED_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [],
};
const OPT_BYTES = dnsPacket.encodingLength({ additionals: [OPT] }) - HEADER_BYTES;

/** Decode and validate a query; undefined when it must be dropped as malformed. */
export function parseQuery(msg: Buffer): Query | undefined {
  if (msg.length < HEADER_BYTES) return undefined;
  let p: dnsPacket.DecodedPacket;
  try {
    p = dnsPacket.decode(msg);
  } catch {
    return undefined;
  }
  if (p.flag_qr) return undefined; // a response
  if ((((p.flags ?? 0) >> 11) & 0xf) !== 0) return undefined; // opcode != QUERY
  const q0 = p.questions?.[0];
  const end = firstQuestionEnd(msg);
  if (!q0 || end === undefined) return undefined;
  let name = typeof q0.name === 'string' ? q0.name.toLowerCase() : '';
  while (name.endsWith('.')) name = name.slice(0, -1);
  const opt = (p.additionals ?? []).find((a): a is dnsPacket.OptAnswer => !!a && a.type === 'OPT');
  return {
    id: msg.readUInt16BE(0),
    rd: p.flag_rd,
    question: Buffer.from(msg.subarray(HEADER_BYTES, end)),
    name,
    qtype: String(q0.type).toUpperCase(),
    qclass: String(q0.class ?? 'IN').toUpperCase(),
    edns: opt ? opt.udpPayloadSize ?? UDP_DEFAULT_LIMIT : undefined,
  };
}

/** End offset of the first question; undefined if it has a compression pointer (nothing valid precedes it to point at). */
function firstQuestionEnd(msg: Buffer): number | undefined {
  let off = HEADER_BYTES;
  for (;;) {
    if (off >= msg.length) return undefined;
    const len = msg[off]!;
    if (len === 0) break;
    if ((len & 0xc0) !== 0) return undefined;
    off += 1 + len;
  }
  off += 1 + 4;
  return off > msg.length ? undefined : off;
}

/**
 * A response of our own to q. Too big for the transport: over UDP, TC and no answers (the
 * client retries over TCP); over TCP (only with thousands of records), TC and what fits.
 */
export function encodeResponse(q: Query, rcode: number, authoritative: boolean, records: LocalRecord[], transport: Transport): Buffer {
  const limit = transport === 'tcp'
    ? 0xffff
    : q.edns === undefined ? UDP_DEFAULT_LIMIT : Math.min(UDP_MAX_LIMIT, Math.max(UDP_DEFAULT_LIMIT, q.edns));
  const answers: dnsPacket.Answer[] = records.map((r) => ({ ...r, name: ROOT, class: 'IN' }));
  let size = HEADER_BYTES + q.question.length + (q.edns === undefined ? 0 : OPT_BYTES);
  let fit = 0;
  for (const a of answers) {
    const next = size + compressedAnswerBytes(a);
    if (next > limit) break;
    size = next;
    fit++;
  }
  const truncated = fit < answers.length;
  const kept = truncated && transport === 'udp' ? [] : answers.slice(0, fit);
  let flags = dnsPacket.RECURSION_AVAILABLE | (rcode & 0xf);
  if (authoritative) flags |= dnsPacket.AUTHORITATIVE_ANSWER;
  if (q.rd) flags |= dnsPacket.RECURSION_DESIRED;
  if (truncated) flags |= dnsPacket.TRUNCATED_RESPONSE;
  const wire = dnsPacket.encode({
    type: 'response', id: q.id, flags, questions: [PLACEHOLDER_QUESTION], answers: kept, additionals: q.edns === undefined ? [] : [OPT],
  });
  return withNames(wire, q.question, kept.length);
}

/** Bytes of an answer record once its root owner name (1 byte) becomes a pointer (2 bytes). */
function compressedAnswerBytes(a: dnsPacket.Answer): number {
  return dnsPacket.encodingLength({ answers: [a] }) - HEADER_BYTES + POINTER_TO_QUESTION.length - 1;
}

/** The placeholder question replaced by the asked one, the first `answers` records' root owners by pointers to it. */
function withNames(wire: Buffer, question: Buffer, answers: number): Buffer {
  const parts = [wire.subarray(0, HEADER_BYTES), question];
  let off = HEADER_BYTES + PLACEHOLDER_QUESTION_BYTES;
  for (let i = 0; i < answers; i++) {
    const body = off + 1; // type, class, ttl, rdlength, rdata
    const end = body + 10 + wire.readUInt16BE(body + 8);
    parts.push(POINTER_TO_QUESTION, wire.subarray(body, end));
    off = end;
  }
  parts.push(wire.subarray(off));
  return Buffer.concat(parts);
}

/** Whether raw is a response carrying this message id (what an upstream's answer must be). */
export function isResponseTo(raw: Buffer, id: number): boolean {
  return raw.length >= HEADER_BYTES && raw.readUInt16BE(0) === id && (raw.readUInt16BE(2) & FLAG_QR) !== 0;
}

/** A copy of a raw message with another id. */
export function withId(raw: Buffer, id: number): Buffer {
  const out = Buffer.from(raw);
  out.writeUInt16BE(id, 0);
  return out;
}

/** The RCODE of a raw message's header. */
export function rcodeOf(raw: Buffer): number {
  return raw.readUInt16BE(2) & 0xf;
}
