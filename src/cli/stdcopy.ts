/**
 * Docker's multiplexed stream (application/vnd.docker.multiplexed-stream), used for logs,
 * attach and exec when the container has no TTY: frames of an 8-byte header
 * `[stream, 0, 0, 0, size (uint32 big-endian)]` followed by `size` bytes of payload.
 * Stream 0 = stdin (written to stdout, as docker's stdcopy does), 1 = stdout, 2 = stderr,
 * 3 = systemerr (an error from the daemon, which ends the copy).
 *
 * Mirrors moby's pkg/stdcopy.StdCopy, including its tolerance of a truncated last frame
 * at EOF (dropped silently).
 */
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';

export const STREAM_STDIN = 0;
export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;
export const STREAM_SYSTEMERR = 3;

export const MULTIPLEXED_CONTENT_TYPE = 'application/vnd.docker.multiplexed-stream';
export const RAW_CONTENT_TYPE = 'application/vnd.docker.raw-stream';

const HEADER_LEN = 8;

export interface Frame {
  stream: number;
  payload: Buffer;
}

/** Incremental frame parser: push chunks, take complete frames. */
export class StdDemuxer {
  private buf: Buffer = Buffer.alloc(0);

  /** Feed bytes; returns every frame completed by them. Throws on an unknown stream id. */
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Frame[] = [];
    let off = 0;
    while (this.buf.length - off >= HEADER_LEN) {
      const stream = this.buf[off]!;
      if (stream > STREAM_SYSTEMERR) {
        throw new Error(`Unrecognized input header: ${stream}`);
      }
      const size = this.buf.readUInt32BE(off + 4);
      if (this.buf.length - off - HEADER_LEN < size) break;
      frames.push({ stream, payload: this.buf.subarray(off + HEADER_LEN, off + HEADER_LEN + size) });
      off += HEADER_LEN + size;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
    return frames;
  }

  /** Bytes of an incomplete frame still buffered. */
  get pending(): number {
    return this.buf.length;
  }
}

/** Build one frame (used by tests and handy for fakes). */
export function encodeFrame(stream: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER_LEN);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

async function write(dest: Writable, data: Buffer): Promise<void> {
  if (data.length === 0) return;
  if (!dest.write(data)) await once(dest, 'drain');
}

/** Demultiplex `src` into stdout/stderr until EOF (respecting back-pressure). */
export async function stdCopy(src: Readable, stdout: Writable, stderr: Writable): Promise<void> {
  const demux = new StdDemuxer();
  for await (const chunk of src) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    for (const frame of demux.push(buf)) {
      switch (frame.stream) {
        case STREAM_STDIN:
        case STREAM_STDOUT:
          await write(stdout, frame.payload);
          break;
        case STREAM_STDERR:
          await write(stderr, frame.payload);
          break;
        default:
          throw new Error(`error from daemon in stream: ${frame.payload.toString('utf8')}`);
      }
    }
  }
}

/** Copy a raw (TTY) stream as-is. */
export async function rawCopy(src: Readable, dest: Writable): Promise<void> {
  for await (const chunk of src) {
    await write(dest, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  }
}

/** Copy a stream according to its Content-Type (raw-stream = TTY, anything else = multiplexed). */
export function copyStream(src: Readable, contentType: string, stdout: Writable, stderr: Writable): Promise<void> {
  if (contentType.split(';')[0]!.trim() === RAW_CONTENT_TYPE) return rawCopy(src, stdout);
  return stdCopy(src, stdout, stderr);
}
