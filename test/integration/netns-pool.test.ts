import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns, isNetnsMount } from '../../src/kernel/netns.js';
import { NetnsPool } from '../../src/kernel/netns-pool.js';
import { Rtnl } from '../../src/kernel/rtnl.js';
import { KernelSandboxOs } from '../../src/kernel/sandbox-os.js';
import { makeNs, type LabNs } from '../helpers/lab.js';

/** Turns of the event loop until cond holds (the pool fills with setImmediate). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('namespaces made ahead of need', () => {
  let host: LabNs;
  let dir: string;
  let poolDir: string;

  beforeAll(() => {
    host = makeNs('pool');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-pool-'));
    poolDir = path.join(dir, 'pool');
  });

  afterAll(() => {
    host?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sweeps what an earlier life left in its directory', () => {
    const stray = path.join(poolDir, '0123456789ab');
    createNetns(stray);
    new NetnsPool(poolDir).close();
    expect(isNetnsMount(stray)).toBe(false);
    expect(fs.readdirSync(poolDir)).toEqual([]);
  });

  it('hands over a pooled namespace with its loopback up, refills, and removes its own on close', async () => {
    const pool = new NetnsPool(poolDir, 2);
    const sandboxOs = new KernelSandboxOs(Rtnl.open(host.path), pool);
    const first = path.join(dir, 'sb0');
    await sandboxOs.createNamespace(first); // none ready yet: made on the spot, the pool starts filling
    await until(() => fs.readdirSync(poolDir).length === 2);
    const pooled = fs.readdirSync(poolDir).map((f) => path.join(poolDir, f));
    const second = path.join(dir, 'sb1');
    await sandboxOs.createNamespace(second);
    expect(isNetnsMount(second)).toBe(true);
    const handed = pooled.find((p) => fs.statSync(p).ino === fs.statSync(second).ino);
    expect(handed).toBeDefined();
    const h = Rtnl.open(second);
    expect((await h.requireLink('lo')).up).toBe(true);
    h.close();
    await until(() => fs.readdirSync(poolDir).length === 2 && !fs.existsSync(handed!));
    expect(fs.existsSync(handed!)).toBe(false);
    pool.close();
    await until(() => fs.readdirSync(poolDir).length === 0); // a fill under way removes its own
    expect(fs.readdirSync(poolDir)).toEqual([]);
    for (const p of [first, second]) deleteNetns(p);
  });
});
