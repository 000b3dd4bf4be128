/**
 * The thread of a LinkDeleter (link-deleter.ts): deletes links by name on its own rtnetlink
 * socket in the namespace it was given, one request at a time, and answers each with the
 * kernel's error code or none. The unregister blocks this thread, not the daemon's. It is
 * ended by a `close` request, never terminated: a socket torn down under a pending reply
 * aborts the process from the native binding.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createRtNetlink } from 'netlink';
import { inNetns } from './netns.js';
import { codeOf } from './rtnl-messages.js';

/** A delete, or `close`: answer what is running, close the socket and let the thread end. */
export type DeleteRequest = { id: number; name: string } | { close: true };
export interface DeleteAnswer { id: number; code?: string }

const sock = inNetns((workerData as { nsPath?: string }).nsPath, () => createRtNetlink());

let running = 0;
let closing = false;

function end(): void {
  sock.socket.close();
  parentPort!.close();
}

function answer(a: DeleteAnswer): void {
  parentPort!.postMessage(a);
  if (--running === 0 && closing) end();
}

parentPort!.on('message', (req: DeleteRequest) => {
  if ('close' in req) {
    closing = true;
    if (running === 0) end();
    return;
  }
  running++;
  sock.delLink({}, { ifname: req.name }).then(() => answer({ id: req.id }), (err: unknown) => answer({ id: req.id, code: codeOf(err) }));
});
