/** Waiting for one container's next event ('exit' with its code, 'removed') on the service's emitter. */
import type { EventEmitter } from 'node:events';

export function nextEventOf<T>(emitter: EventEmitter, event: 'exit' | 'removed', id: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (cid: string, value: T) => {
      if (cid !== id) return;
      emitter.off(event, on);
      resolve(value);
    };
    emitter.on(event, on);
  });
}

/** The last exit code seen before `removed` resolves (docker run --rm's exit status). */
export function codeAtRemoval(emitter: EventEmitter, id: string, lastCode: number, removed: Promise<void>): Promise<number> {
  let code = lastCode;
  const onExit = (cid: string, c: number) => { if (cid === id) code = c; };
  emitter.on('exit', onExit);
  return removed.then(() => {
    emitter.off('exit', onExit);
    return code;
  });
}
