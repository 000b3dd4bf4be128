/**
 * Docker's multiplexed stream (8-byte frame headers: stream id, 3 zero bytes, big-endian
 * length) and the hijack handshake that precedes it on upgraded connections.
 */
import type { ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import type { StreamId } from '../engine/logs.js';
import { API_VERSION } from './http.js';

export const MUX_CONTENT_TYPE = 'application/vnd.docker.multiplexed-stream';

export function frame(stream: StreamId, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
}

/**
 * Tells the client the connection is now a raw stream (multiplexed unless a terminal's);
 * then() runs once the reply is handed to the kernel, never if the client has gone.
 */
export function sendUpgraded(socket: Duplex, then?: () => void, contentType = MUX_CONTENT_TYPE): void {
  socket.write('HTTP/1.1 101 UPGRADED\r\n' +
    `Content-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: ${API_VERSION}\r\n\r\n`,
  (err) => { if (!err) then?.(); });
}

/** A terminal's output is raw, not multiplexed. */
export const RAW_CONTENT_TYPE = 'application/vnd.docker.raw-stream';

/** An error on a hijack request, written as a plain HTTP response before closing. */
export function failUpgrade(socket: Duplex, err: unknown): void {
  const msg = err instanceof Error ? err.message : String(err);
  const status = (err as { status?: number }).status ?? 500;
  const body = `${JSON.stringify({ message: msg })}\n`;
  socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** A child's stdout and stderr as frames (raw: unframed), then end (an exec's output). */
export function pipeChild(child: ChildProcess, write: (b: Buffer) => void, end: () => void, raw = false): void {
  child.stdout?.on('data', (d: Buffer) => write(raw ? d : frame(1, d)));
  child.stderr?.on('data', (d: Buffer) => write(raw ? d : frame(2, d)));
  child.on('close', () => end());
  child.on('error', (err) => {
    write(frame(2, Buffer.from(`exec failed: ${err.message}\n`)));
    end();
  });
}
