/**
 * The API call an operation serves, carried through its awaits (AsyncLocalStorage), so that
 * every log line the operation writes, in any layer, names its request id (the logger's mixin).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';

export interface RequestContext {
  reqId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** A client's own X-Request-Id is kept when it is a plain token; otherwise a fresh one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const sent = Array.isArray(header) ? header[0] : header;
  return sent && /^[\w.:-]{1,128}$/.test(sent) ? sent : crypto.randomBytes(8).toString('hex');
}

export function withRequest<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** Work that outlives the request that started it (timers, watchers) runs outside it. */
export function outsideRequest<T>(fn: () => T): T {
  return storage.exit(fn);
}

/** The fields the logger adds to each line: the current request's id, if any. */
export function requestLogFields(): { reqId?: string } {
  const ctx = storage.getStore();
  return ctx ? { reqId: ctx.reqId } : {};
}
