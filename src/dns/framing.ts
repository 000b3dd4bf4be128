/**
 * DNS over TCP (RFC 1035 4.2.2): each message is preceded by its length, two bytes big-endian.
 *
 * The messages stay raw bytes: queries are validated by the caller (a malformed one must not
 * cost the rest of the stream) and upstream answers are relayed as received. dns-packet's
 * streamDecode is no framer for that: it decodes everything after the length prefix rather
 * than just the frame, reports the decoded size rather than the frame's, and throws on a bad
 * message without saying where the next one starts.
 */

/** One message with its length prefix. */
export function frame(msg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}

/** Splits a TCP byte stream into messages. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** The next complete message (a copy, possibly empty), or undefined until more bytes arrive. */
  next(): Buffer | undefined {
    if (this.buf.length < 2) return undefined;
    const len = this.buf.readUInt16BE(0);
    if (this.buf.length < 2 + len) return undefined;
    const msg = Buffer.from(this.buf.subarray(2, 2 + len));
    this.buf = this.buf.subarray(2 + len);
    return msg;
  }
}
