/**
 * What every command needs: the I/O it writes to (injectable, so main() is testable
 * in-process), the API client for the `-H` host, and the exit code being built up.
 */
import type { Readable, Writable } from 'node:stream';
import { ApiClient, ApiError, DaemonUnreachableError, UsageError } from './client.js';

export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  /** Read by `network prune` (confirmation) and `exec -i`. */
  stdin: Readable;
  /** Whether stdin is a terminal (prune asks interactively only then; see commands/network-prune.ts). */
  stdinIsTTY: boolean;
  env: Record<string, string | undefined>;
  /** Clock, injectable for tests of "5 seconds ago". */
  now: () => number;
  /** Install signal forwarding (foreground run); returns the uninstaller. */
  onSignal: (handler: (signal: NodeJS.Signals) => void) => () => void;
}

/** Thrown by actions to end the command with a specific code (message already printed). */
export class ExitError extends Error {
  constructor(readonly code: number, message = `exit status ${code}`) {
    super(message);
    this.name = 'ExitError';
  }
}

export class Ctx {
  exitCode = 0;
  private clientCache: ApiClient | undefined;

  constructor(readonly io: CliIO, private readonly hostOf: () => string) {}

  client(): ApiClient {
    if (!this.clientCache) {
      try {
        this.clientCache = new ApiClient(this.hostOf());
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
    return this.clientCache;
  }

  out(text: string): void {
    if (text) this.io.stdout.write(text);
  }

  err(text: string): void {
    if (text) this.io.stderr.write(text);
  }

  /** Print an error the way the docker CLI does and remember the failure. */
  report(err: unknown, code = 1): void {
    this.err(`${describeError(err)}\n`);
    if (this.exitCode === 0) this.exitCode = code;
  }
}

/** "Error response from daemon: MSG" for daemon errors, the message itself otherwise. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return `Error response from daemon: ${err.message}`;
  if (err instanceof DaemonUnreachableError || err instanceof UsageError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Run `fn` for every target concurrently (like docker's parallel stop/rm), print each
 * success with `onOk` and each failure to stderr, *in argument order*; exit 1 if any failed.
 */
export async function forEachTarget<T>(
  ctx: Ctx,
  targets: string[],
  fn: (target: string) => Promise<T>,
  onOk: (target: string, result: T) => void,
  opts: { sequential?: boolean } = {},
): Promise<void> {
  const settle = (t: string) => fn(t).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (opts.sequential) {
    for (const t of targets) {
      const r = await settle(t);
      if (r.ok) onOk(t, r.value);
      else {
        if (r.error instanceof DaemonUnreachableError) throw r.error;
        ctx.report(r.error);
      }
    }
    return;
  }
  const results = await Promise.all(targets.map(settle));
  results.forEach((r, i) => {
    if (r.ok) onOk(targets[i]!, r.value);
    else {
      if (r.error instanceof DaemonUnreachableError) throw r.error;
      ctx.report(r.error);
    }
  });
}

/** Repeatable option collector for commander. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `k=v` list to an object (`k` alone gives ""), like docker's MapOpts. */
export function keyValues(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

export function enc(name: string): string {
  return encodeURIComponent(name);
}

/** An integer flag value, refused with pflag's wording. */
export function intOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) {
    throw new UsageError(`invalid argument "${value}" for "${flag}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`);
  }
  return Number(value);
}
