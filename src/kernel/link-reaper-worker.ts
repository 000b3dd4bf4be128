/**
 * The link reaper's thread (link-reaper.ts): deletes the links it is sent by name, one at a
 * time, on its own rtnetlink socket in the namespace it was started in, and answers each.
 */
import { parentPort } from 'node:worker_threads';
import { Rtnl } from './rtnl.js';

interface Job { id: number; name: string }

const host = Rtnl.open();
parentPort!.on('message', (job: Job) => {
  host.deleteLink(job.name).then(
    () => parentPort!.postMessage({ id: job.id }),
    (err: Error) => parentPort!.postMessage({ id: job.id, error: err.message }),
  );
});
