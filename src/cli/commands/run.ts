/** `weft run` and `weft create`: create (and start) a container as the docker CLI does. */
import type { Command } from 'commander';
import { ApiError, type ApiClient, type StreamResponse } from '../client.js';
import { type Ctx, describeError, ExitError } from '../context.js';
import { copyStream } from '../stdcopy.js';
import { containerCreateBody } from './create-body.js';
import { addRunOptions, mergeAliases, type RunOptions } from './run-flags.js';
import { waitResult } from './wait.js';

interface CreateResponse {
  Id?: string;
  Warnings?: string[] | null;
}

async function createContainer(ctx: Ctx, args: string[], o: RunOptions, attach: boolean): Promise<string> {
  const body = containerCreateBody(args, o, { env: ctx.io.env, cwd: process.cwd(), attach });
  const res = await ctx.client().post<CreateResponse>('/containers/create', body, { name: o.name });
  for (const w of res?.Warnings ?? []) ctx.err(`WARNING: ${w}\n`);
  if (!res?.Id) throw new Error('the daemon returned no container id');
  return res.Id;
}

/**
 * Like docker: a missing IMAGE is an argument error (exit 1), with docker's wording.
 * With --rootfs no word is required (the image's default command does not exist, but
 * that is for the daemon to say).
 */
function requireImage(ctx: Ctx, command: string, args: string[], o: RunOptions): void {
  if (o.rootfs || args.length > 0) return;
  ctx.err(`weft: 'weft ${command}' requires at least 1 argument\n\nSee 'weft ${command} --help' for more information\n`);
  throw new ExitError(1);
}

/** run/create failures: "weft: <error>" + the help hint, exit 125 (docker's convention). */
function runFailure(ctx: Ctx, command: string, err: unknown): never {
  if (err instanceof ExitError) throw err;
  ctx.err(`weft: ${describeError(err)}\n\nRun 'weft ${command} --help' for more information\n`);
  throw new ExitError(125);
}

/** POST wait?condition=next-exit (removed, with --rm): sent, headers in, before start, as docker does. */
function openWait(client: ApiClient, id: string, o: RunOptions): Promise<StreamResponse> {
  return client.stream('POST', `/containers/${id}/wait`, { query: { condition: o.rm ? 'removed' : 'next-exit' } });
}

/** Wait for `p` at most `ms`; resolves either way. */
function within(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    p.then(() => { clearTimeout(t); resolve(); }, () => { clearTimeout(t); resolve(); });
  });
}

/**
 * Foreground run, in docker's order: attach (hijacked, 101), wait?condition=next-exit
 * (or `removed` with --rm) with its headers in before start, then start; stream the
 * output until the container exits and return its exit code.
 *
 * If the daemon does not offer attach (any error status), the output comes from
 * GET /containers/{id}/logs?follow=1 after start instead; with --rm and a container that
 * exits at once, that fallback can miss output, which attach cannot.
 */
async function runAttached(ctx: Ctx, client: ApiClient, id: string, o: RunOptions): Promise<number> {
  let attach: StreamResponse | undefined;
  try {
    attach = await client.hijack('POST', `/containers/${id}/attach`, { query: { stream: true, stdout: true, stderr: true } });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    attach = undefined;
  }
  let wait: StreamResponse;
  try {
    wait = await openWait(client, id, o);
  } catch (err) {
    attach?.close();
    throw err;
  }
  const uninstall = ctx.io.onSignal((signal) => {
    client.post(`/containers/${id}/kill`, undefined, { signal: signal.replace(/^SIG/, '') }).catch(() => undefined);
  });
  try {
    try {
      await client.post(`/containers/${id}/start`);
    } catch (err) {
      attach?.close();
      wait.close();
      throw err;
    }
    let output: Promise<void>;
    if (attach) {
      output = copyStream(attach.stream, attach.contentType, ctx.io.stdout, ctx.io.stderr);
    } else {
      output = (async () => {
        let logs: StreamResponse;
        try {
          logs = await client.stream('GET', `/containers/${id}/logs`, { query: { follow: true, stdout: true, stderr: true } });
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) return; // already removed (--rm)
          throw err;
        }
        await copyStream(logs.stream, logs.contentType, ctx.io.stdout, ctx.io.stderr);
      })();
    }
    output.catch(() => undefined);
    const status = await waitResult(wait);
    // The daemon closes the output stream when the process ends; give it time to drain,
    // but never hang on a stream that is not closed.
    await within(output, 5000);
    attach?.close();
    await output.catch((err: unknown) => { ctx.err(`${describeError(err)}\n`); });
    if (status.Error?.Message) throw new Error(status.Error.Message);
    return status.StatusCode ?? 0;
  } finally {
    uninstall();
  }
}

export function registerRunAndCreate(parent: Command, ctx: Ctx, prefix: string): void {
  addRunOptions(parent.command('run').description('Create and run a new container from an image'))
    .option('-d, --detach', 'Run container in background and print container ID')
    .action(async (args: string[], raw: RunOptions & { net: string[]; netAlias: string[] }) => {
      const o = mergeAliases(raw);
      requireImage(ctx, `${prefix}run`, args, o);
      let id: string;
      try {
        id = await createContainer(ctx, args, o, !o.detach);
        if (o.detach) {
          // Like docker: the wait goes out (headers in) before start, and is dropped unread.
          const client = ctx.client();
          const wait = await openWait(client, id, o);
          try {
            await client.post(`/containers/${id}/start`);
          } finally {
            wait.close();
          }
          ctx.out(`${id}\n`);
          return;
        }
        ctx.exitCode = await runAttached(ctx, ctx.client(), id, o);
      } catch (err) {
        runFailure(ctx, `${prefix}run`, err);
      }
    });

  addRunOptions(parent.command('create').description('Create a new container'))
    .action(async (args: string[], raw: RunOptions & { net: string[]; netAlias: string[] }) => {
      const o = mergeAliases(raw);
      requireImage(ctx, `${prefix}create`, args, o);
      try {
        ctx.out(`${await createContainer(ctx, args, o, true)}\n`);
      } catch (err) {
        runFailure(ctx, `${prefix}create`, err);
      }
    });
}
