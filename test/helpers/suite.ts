/**
 * A suite's own daemon, for its beforeAll/afterAll: started (and, where the suite drives the
 * docker CLI, a DockerCli on it), then destroyed with everything it made.
 */
import { TestDaemon } from './daemon.js';
import { DockerCli } from './docker-cli.js';

type Backend = TestDaemon['backend'];

export async function startedDaemon(backend: Backend): Promise<TestDaemon> {
  const d = new TestDaemon(backend);
  await d.start();
  return d;
}

export async function startedDaemonWithCli(backend: Backend): Promise<{ d: TestDaemon; cli: DockerCli }> {
  const d = await startedDaemon(backend);
  return { d, cli: new DockerCli(d) };
}

/** The CLI's config directory and the daemon; either may be missing when beforeAll failed. */
export async function destroyDaemon(d: TestDaemon | undefined, cli?: DockerCli): Promise<void> {
  cli?.cleanup();
  await d?.destroy();
}
