/**
 * KernelHostAddressing (src/kernel/host-addressing.ts) in a namespace of its own: a burst of
 * route changes far past a socket buffer is survived and seen whole, and interface names
 * follow renames through the link notifications. Its monitor thread is built JavaScript, so
 * the module is loaded from dist (run `npm run build` first, as for every integration test).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelHostAddressing as Watched } from '../../src/kernel/host-addressing.js';
import { waitFor } from '../helpers/daemon.js';
import { makeNs, type LabNs } from '../helpers/lab.js';

const DIST = path.resolve(__dirname, '../../dist/src/kernel/host-addressing.js');
const BURST = 20_000;

describe('KernelHostAddressing', () => {
  let ns: LabNs;
  let watched: Watched;
  let changes = 0;
  let stop: (() => void) | undefined;

  beforeAll(async () => {
    ns = makeNs('ww15-ha');
    ns.sh('ip link add ww15d type veth peer name ww15p && ip link set ww15p up && ip link set ww15d up');
    const { KernelHostAddressing } = (await import(DIST)) as { KernelHostAddressing: typeof Watched };
    watched = new KernelHostAddressing(ns.path);
    stop = watched.watch(() => { changes++; });
  });

  afterAll(() => {
    stop?.();
    ns?.destroy();
  });

  it(`${BURST} routes added while the event loop is blocked: one change told, all of them read, the process lives`, async () => {
    const batch = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ww15-ha-')), 'routes');
    const lines = Array.from({ length: BURST }, (_, i) => `route add 10.${200 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32 dev ww15d`);
    fs.writeFileSync(batch, `${lines.join('\n')}\n`);
    const before = changes;
    // spawnSync blocks this thread: nothing reads the notifications here until the burst is over.
    expect(spawnSync('ip', ['-n', ns.name, '-batch', batch]).status).toBe(0);
    await waitFor(() => changes > before, 'a change told', 10_000);
    const routes = (await watched.prefixes()).filter((p) => p.kind === 'route' && p.prefix.startsWith('10.2'));
    expect(routes.length).toBe(BURST);
    expect(new Set(routes.map((r) => r.interface))).toEqual(new Set(['ww15d']));
    fs.rmSync(path.dirname(batch), { recursive: true });
  }, 60_000);

  it('a renamed interface is told as a change, and prefixes() names it by its new name', async () => {
    ns.sh('ip addr add 10.77.0.1/24 dev ww15d');
    await waitFor(async () => (await watched.prefixes()).some((p) => p.prefix === '10.77.0.1/24' && p.interface === 'ww15d'), 'the address', 5_000);
    const before = changes;
    ns.sh('ip link set ww15d down && ip link set ww15d name ww15e && ip link set ww15e up');
    await waitFor(() => changes > before, 'the rename told', 5_000);
    const address = (await watched.prefixes()).find((p) => p.prefix === '10.77.0.1/24');
    expect(address).toEqual({ prefix: '10.77.0.1/24', kind: 'address', interface: 'ww15e' });
  }, 30_000);
});
