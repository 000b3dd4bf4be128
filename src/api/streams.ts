/**
 * Docker's multiplexed stream (8-byte frame headers: stream id, 3 zero bytes, big-endian
 * length) and a follower that tails a container's stdout/stderr log files.
 */
import fs from 'node:fs';

export const MUX_CONTENT_TYPE = 'application/vnd.docker.multiplexed-stream';

export function frame(stream: 1 | 2, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
}

/** The last n lines of a buffer (n < 0: all). */
export function tailLines(buf: Buffer, n: number): Buffer {
  if (n < 0) return buf;
  if (n === 0) return Buffer.alloc(0);
  let end = buf.length;
  if (end && buf[end - 1] === 0x0a) end--;
  let pos = end;
  for (let seen = 0; pos > 0; pos--) {
    if (buf[pos - 1] === 0x0a && ++seen === n) break;
  }
  return buf.subarray(pos);
}

/** Reads what was appended to a file since the last call. */
export class FileTail {
  private offset = 0;
  constructor(private readonly file: string) {}

  /** Skip the existing content except its last n lines (n < 0: keep all). */
  startAtTail(n: number): Buffer {
    const all = this.readNew();
    return tailLines(all, n);
  }

  readNew(): Buffer {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch {
      return Buffer.alloc(0);
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= this.offset) return Buffer.alloc(0);
      const buf = Buffer.alloc(size - this.offset);
      const n = fs.readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      return buf.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  }
}
