/** The kernel SandboxOs's choice of host routes that pool picking avoids. */
import { describe, expect, it } from 'vitest';
import { KernelSandboxOs } from '../../src/kernel/sandbox-os.js';
import type { Rtnl } from '../../src/kernel/rtnl.js';

describe('KernelSandboxOs.hostRoutes', () => {
  it('keeps main-table routes; drops default routes, other tables and IPv6 link-local', async () => {
    const routes: { [family: number]: { family: number; dst: string; table: number }[] } = {
      2: [
        { family: 2, dst: '172.18.0.0/16', table: 254 },
        { family: 2, dst: '0.0.0.0/0', table: 254 },
        { family: 2, dst: '127.0.0.0/8', table: 255 },
        { family: 2, dst: '192.168.1.0/24', table: 254 },
      ],
      10: [
        { family: 10, dst: 'fe80::/64', table: 254 },
        { family: 10, dst: 'fd00:1::/64', table: 254 },
        { family: 10, dst: '::/0', table: 254 },
      ],
    };
    const host = { routes: async (family: number) => routes[family] ?? [] } as unknown as Rtnl;
    expect(await new KernelSandboxOs(host).hostRoutes()).toEqual(['172.18.0.0/16', '192.168.1.0/24', 'fd00:1::/64']);
  });
});
