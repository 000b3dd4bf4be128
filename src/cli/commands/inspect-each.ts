/** The per-kind inspect commands: fetch every name, print what was found, then each daemon error. */
import { ApiError } from '../client.js';
import type { Ctx } from '../context.js';
import { formatInspect } from '../format/list.js';

export async function inspectEach(
  ctx: Ctx, names: string[], format: string | undefined, fetch: (name: string) => Promise<unknown>,
): Promise<void> {
  const found: unknown[] = [];
  const errors: unknown[] = [];
  for (const name of names) {
    try {
      found.push(await fetch(name));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      errors.push(err);
    }
  }
  ctx.out(formatInspect(found, format));
  for (const e of errors) ctx.report(e);
}
