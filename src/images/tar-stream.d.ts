/** The part of tar-stream 2 (no bundled types) that the image store uses. */
declare module 'tar-stream' {
  import type { Readable, Writable } from 'node:stream';

  export interface Headers {
    name: string;
    size?: number;
    mode?: number;
    mtime?: Date;
    type?: 'file' | 'link' | 'symlink' | 'directory' | 'character-device' | 'block-device' | 'fifo' | 'contiguous-file';
    linkname?: string | null;
    uid?: number;
    gid?: number;
    uname?: string;
    gname?: string;
    devmajor?: number;
    devminor?: number;
  }

  export interface Extract extends Writable {
    on(event: 'entry', cb: (header: Headers, stream: Readable, next: (err?: Error) => void) => void): this;
    on(event: string, cb: (...args: never[]) => void): this;
  }

  export interface Pack extends Readable {
    entry(header: Headers, cb: (err?: Error) => void): Writable;
    entry(header: Headers, buffer?: Buffer | string, cb?: (err?: Error) => void): Writable;
    finalize(): void;
  }

  export function extract(): Extract;
  export function pack(): Pack;
}
