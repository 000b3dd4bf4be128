/** Crashes for fault tests: the daemon killed at a failpoint in the middle of one request, then started again. */
import { type TestDaemon, waitFor } from './daemon.js';

/** Kill the daemon at `point` during `request`, then start it again without failpoints. */
export async function crashAt(d: TestDaemon, point: string, request: () => Promise<unknown>): Promise<void> {
  await d.crash(); // a SIGTERM would stop the containers
  d.env = { WEFT_FAILPOINTS: point };
  await d.start();
  await request().catch(() => undefined);
  await waitFor(() => d.child!.exitCode !== null || d.child!.signalCode !== null, `the daemon to die at ${point}`);
  d.env = {};
  await d.start();
}
