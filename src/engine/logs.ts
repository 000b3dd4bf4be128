/**
 * A container's output as the runtime keeps it (one plain file per stream): reading the
 * tail, and following what is appended until the container exits or the reader leaves.
 */
import fs from 'node:fs';
import type { ContainerRecord, ContainerService } from './containers.js';

/** 1 = stdout, 2 = stderr (the stream ids of Docker's multiplexed stream). */
export type StreamId = 1 | 2;

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
    return tailLines(this.readNew(), n);
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

export interface LogOptions {
  stdout: boolean;
  stderr: boolean;
  /** Lines of existing output to send first (< 0: all). */
  tail: number;
  follow: boolean;
  /**
   * Follow until the container's next exit whatever its state now, so attaching to a
   * stopped container before `start` (docker start -a) sees that run.
   */
  untilExit?: boolean;
}

export interface LogSink {
  write(stream: StreamId, data: Buffer): void;
  end(): void;
  /** Fires when the reader goes away. */
  onClose(f: () => void): void;
}

const POLL_MS = 100;

/** Sends the chosen streams' tail, then (when following) new output until the exit. */
export function followLogs(svc: ContainerService, c: ContainerRecord, o: LogOptions, sink: LogSink): void {
  const files = svc.logFiles(c);
  const outs = [o.stdout && ([1, new FileTail(files.stdout)] as const), o.stderr && ([2, new FileTail(files.stderr)] as const)]
    .filter((x): x is readonly [StreamId, FileTail] => !!x);
  for (const [id, t] of outs) {
    const b = t.startAtTail(o.tail);
    if (b.length) sink.write(id, b);
  }
  const flush = () => {
    for (const [id, t] of outs) {
      const b = t.readNew();
      if (b.length) sink.write(id, b);
    }
  };
  if (!o.follow || (!o.untilExit && c.status !== 'running' && c.status !== 'created')) {
    sink.end();
    return;
  }
  let done = false;
  const stop = () => {
    done = true;
    clearInterval(timer);
    svc.off('exit', onExit);
  };
  // The exit event fires before an auto-removed container's files go away: read the
  // rest synchronously there.
  const onExit = (id: string) => {
    if (id !== c.id || done) return;
    stop();
    flush();
    sink.end();
  };
  svc.on('exit', onExit);
  const timer = setInterval(flush, POLL_MS);
  sink.onClose(stop);
}
