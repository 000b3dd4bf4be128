/**
 * Running nft scripts: in-process through libnftables (koffi) when the library loads —
 * a fraction of a millisecond per transaction instead of a fork/exec — else `nft -f -`.
 *
 * One nft context per runner, kept open: its netlink socket is opened by nft_ctx_new and
 * belongs to the namespace the thread was in then, so the context is created inside the
 * target namespace (and re-created if the namespace file now names another namespace).
 * Keeping it open also matters for speed: closing an nf_tables socket waits for the
 * kernel's deferred cleanup of deleted objects (an RCU grace period, ~12 ms here), so a
 * context per call would make every removal slow. Every call still switches the thread
 * into the namespace around the synchronous library call (no await in between): nft
 * itself reads a few things from the namespace it runs in.
 */
import fs from 'node:fs';
import koffi from 'koffi';
import type { Logger } from 'pino';
import { inNetns, netnsIdentity } from '../kernel/netns.js';
import { runCommand } from './exec.js';

export class NftError extends Error {
  constructor(message: string) {
    super(message.trim() || 'nft failed');
    this.name = 'NftError';
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...args: any[]) => any;

interface Lib {
  ctxNew: Fn;
  ctxFree: Fn;
  bufferOutput: Fn;
  bufferError: Fn;
  getOutput: Fn;
  getError: Fn;
  run: Fn;
}

let lib: Lib | null | undefined;

/** The bound library, or null when libnftables.so.1 cannot be loaded (loaded once). */
function loadLib(logger?: Logger): Lib | null {
  if (lib !== undefined) return lib;
  try {
    const l = koffi.load('libnftables.so.1');
    // Anonymous type: koffi type names are process-global and this module may be loaded twice.
    const ctx = koffi.pointer(koffi.opaque());
    lib = {
      ctxNew: l.func('nft_ctx_new', ctx, ['uint32_t']),
      ctxFree: l.func('nft_ctx_free', 'void', [ctx]),
      bufferOutput: l.func('nft_ctx_buffer_output', 'int', [ctx]),
      bufferError: l.func('nft_ctx_buffer_error', 'int', [ctx]),
      getOutput: l.func('nft_ctx_get_output_buffer', 'const char *', [ctx]),
      getError: l.func('nft_ctx_get_error_buffer', 'const char *', [ctx]),
      run: l.func('nft_run_cmd_from_buffer', 'int', [ctx, 'const char *']),
    };
  } catch (err) {
    logger?.warn({ err }, 'libnftables.so.1 not usable; falling back to exec of nft');
    lib = null;
  }
  return lib;
}

/** The open context, shared with the finalizer so a forgotten runner still frees it. */
interface Held { ctx: unknown; ns: string }

const finalizer = new FinalizationRegistry<Held>((h) => {
  if (h.ctx && lib) lib.ctxFree(h.ctx);
});

/** Runs one nft script as one transaction; resolves the output (for list commands). */
export class NftRunner {
  private readonly lib: Lib | null;
  private readonly held: Held = { ctx: null, ns: '' };

  constructor(private readonly opts: { netnsPath?: string; logger?: Logger; forceExec?: boolean } = {}) {
    this.lib = opts.forceExec ? null : loadLib(opts.logger);
    if (this.lib) finalizer.register(this, this.held, this);
  }

  get inProcess(): boolean {
    return this.lib !== null;
  }

  async run(script: string): Promise<string> {
    if (!this.lib) return runCommand(['nft', '-f', '-'], { input: script, netnsPath: this.opts.netnsPath });
    const l = this.lib;
    const ns = netnsIdentity(this.opts.netnsPath);
    if (this.held.ctx && this.held.ns !== ns) this.close();
    if (!this.held.ctx && lowestFreeFd() > 900) {
      // libnftables select()s on its socket and aborts the process for an fd above 1023;
      // a context opened now (many fds in use) could get one. The tool is safe.
      return runCommand(['nft', '-f', '-'], { input: script, netnsPath: this.opts.netnsPath });
    }
    return inNetns(this.opts.netnsPath, () => {
      if (!this.held.ctx) {
        const ctx = l.ctxNew(0);
        if (!ctx) throw new NftError('nft_ctx_new failed');
        l.bufferOutput(ctx);
        l.bufferError(ctx);
        this.held.ctx = ctx;
        this.held.ns = ns;
      }
      const rc = l.run(this.held.ctx, script) as number;
      // Reading the buffers also rewinds them for the next call.
      const out = (l.getOutput(this.held.ctx) as string | null) ?? '';
      const err = (l.getError(this.held.ctx) as string | null) ?? '';
      if (rc !== 0) throw new NftError(err);
      return out;
    });
  }

  /** Free the context (closing its socket); the next run opens a new one. */
  close(): void {
    if (this.held.ctx && this.lib) this.lib.ctxFree(this.held.ctx);
    this.held.ctx = null;
  }
}

/** The fd number the next socket() would get (the lowest free one). */
function lowestFreeFd(): number {
  const fd = fs.openSync('/dev/null', 'r');
  fs.closeSync(fd);
  return fd;
}
