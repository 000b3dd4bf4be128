import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/store/local.js';

describe('LocalStore', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-store-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

  it('puts, gets, lists by prefix in key order, deletes', async () => {
    const s = LocalStore.open(fresh());
    await s.put('network/b', { n: 2 });
    await s.put('network/a', { n: 1 });
    await s.put('endpoint/x', { n: 3 });
    expect((await s.get<{ n: number }>('network/a'))?.value.n).toBe(1);
    expect((await s.list('network/')).map((r) => r.key)).toEqual(['network/a', 'network/b']);
    expect(await s.delete('network/a')).toBe(true);
    expect(await s.delete('network/a')).toBe(false);
    expect(await s.get('network/a')).toBeUndefined();
  });

  it('compare-and-swap succeeds only at the expected revision', async () => {
    const s = LocalStore.open(fresh());
    const r1 = await s.compareAndSwap('k', null, 1);
    expect(r1).toBeTypeOf('number');
    expect(await s.compareAndSwap('k', null, 2)).toBeUndefined();
    const r2 = await s.compareAndSwap('k', r1!, 3);
    expect(r2).toBeGreaterThan(r1!);
    expect(await s.compareAndSwap('k', r1!, 4)).toBeUndefined();
    expect((await s.get('k'))?.value).toBe(3);
    expect(await s.compareAndDelete('k', r1!)).toBe(false);
    expect(await s.compareAndDelete('k', r2!)).toBe(true);
  });

  it('survives a reopen (durable) and ignores a torn temp file', async () => {
    const dir = fresh();
    const s = LocalStore.open(dir);
    await s.put('a/1', { deep: { list: [1, 2] } });
    const rev = await s.put('a/2', 'two');
    await s.close();
    fs.writeFileSync(path.join(dir, 'store', 'a%2F3.json.tmp'), '{"key":"a/3","rev');
    const again = LocalStore.open(dir);
    expect((await again.get('a/1'))?.value).toEqual({ deep: { list: [1, 2] } });
    expect((await again.list('a/')).length).toBe(2);
    // Revisions keep growing across restarts, so CAS never confuses old and new.
    expect(await again.put('a/4', 4)).toBeGreaterThan(rev);
  });

  it('returns copies: mutating a read value does not change the store', async () => {
    const s = LocalStore.open(fresh());
    await s.put('x', { a: 1 });
    const r = await s.get<{ a: number }>('x');
    r!.value.a = 99;
    expect((await s.get<{ a: number }>('x'))?.value.a).toBe(1);
  });
});
