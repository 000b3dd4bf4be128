/**
 * The process-level last resort, for an error no request handler caught. A client's broken
 * connection (a stream it dropped) is logged and survived: it touched no state. Anything else
 * may have left memory half-updated, so the daemon logs it and exits; a restart reconciles
 * store and kernel. A promise rejection nobody awaited is logged and survived.
 */
const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Exit status of a daemon stopped by an unexpected error (BSD's EX_SOFTWARE). */
export const EXIT_INTERNAL_ERROR = 70;

type Write = (line: string) => void;

/** What to do with an uncaught exception: 'serve' on, or 'exit'. */
export function onUncaught(err: Error & { code?: string }, write: Write): 'serve' | 'exit' {
  if (err.code && CLIENT_GONE.has(err.code)) {
    write(`weft daemon: a client connection failed (${err.code}); serving on`);
    return 'serve';
  }
  write(`weft daemon: fatal: ${err.stack ?? err.message}`);
  return 'exit';
}

export function installLastResort(write: Write = (l) => process.stderr.write(`${l}\n`)): void {
  process.on('uncaughtException', (err) => {
    if (onUncaught(err, write) === 'exit') process.exit(EXIT_INTERNAL_ERROR);
  });
  process.on('unhandledRejection', (reason) => {
    write(`weft daemon: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });
}
