import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Integration tests create namespaces, links and firewall rules; files run one at a time
// so two suites never race on the same kernel objects, with generous timeouts because
// they start real daemons and processes.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
