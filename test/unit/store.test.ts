import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LmdbStore } from '../../src/store/lmdb.js';
import { TxnConflict } from '../../src/util/errors.js';

describe('LmdbStore', () => {
  const dirs: string[] = [];
  const open: LmdbStore[] = [];
  const fresh = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-store-'));
    dirs.push(d);
    return d;
  };
  const openStore = async (dir: string) => {
    const s = await LmdbStore.open(dir);
    open.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close().catch(() => undefined);
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('puts, gets, lists by prefix in key order, deletes', async () => {
    const s = await openStore(fresh());
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
    const s = await openStore(fresh());
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

  it('survives a reopen after close, and revisions keep growing', async () => {
    const dir = fresh();
    const s = await LmdbStore.open(dir);
    await s.put('a/1', { deep: { list: [1, 2] } });
    const rev = await s.put('a/2', 'two');
    await s.delete('a/2');
    await s.close();
    const again = await openStore(dir);
    expect((await again.get('a/1'))?.value).toEqual({ deep: { list: [1, 2] } });
    expect((await again.list('a/')).length).toBe(1);
    // Also past a deleted key's revision, so CAS never confuses old and new.
    expect(await again.put('a/2', 4)).toBeGreaterThan(rev + 1);
  });

  it('returns copies: mutating a read value does not change the store', async () => {
    const s = await openStore(fresh());
    await s.put('x', { a: 1 });
    const r = await s.get<{ a: number }>('x');
    r!.value.a = 99;
    expect((await s.get<{ a: number }>('x'))?.value.a).toBe(1);
  });

  it('commits a unit of work all at once, and reads inside it see its own writes', async () => {
    const s = await openStore(fresh());
    await s.put('n/old', 1);
    const tx = s.begin();
    tx.put('n/a', { v: 1 });
    tx.delete('n/old');
    tx.update<number>('count', (c) => (c ?? 0) + 1);
    expect((await tx.get('n/a'))?.value).toEqual({ v: 1 });
    expect(await tx.get('n/old')).toBeUndefined();
    expect((await tx.list('n/')).map((r) => r.key)).toEqual(['n/a']);
    expect((await tx.get('count'))?.value).toBe(1);
    // Nothing is visible outside before the commit.
    expect(await s.get('n/a')).toBeUndefined();
    expect((await s.get('n/old'))?.value).toBe(1);
    await tx.commit();
    expect((await s.list('n/')).map((r) => r.key)).toEqual(['n/a']);
    expect((await s.get('count'))?.value).toBe(1);
    // One commit, one revision.
    expect((await s.get('n/a'))?.revision).toBe((await s.get('count'))?.revision);
  });

  it('fails a unit whose expected revision changed, writing none of it', async () => {
    const s = await openStore(fresh());
    const rev = await s.put('pool', { used: [] as string[] });
    const tx = s.begin();
    tx.expect('pool', rev);
    tx.put('pool', { used: ['a'] });
    tx.put('endpoint/1', { ip: 'a' });
    await s.put('pool', { used: ['b'] }); // another writer between read and commit
    const settled: boolean[] = [];
    tx.onSettle((ok) => settled.push(ok));
    await expect(tx.commit()).rejects.toBeInstanceOf(TxnConflict);
    expect(settled).toEqual([false]);
    expect((await s.get('pool'))?.value).toEqual({ used: ['b'] });
    expect(await s.get('endpoint/1')).toBeUndefined();
  });

  it('re-runs update functions on the committed value, so concurrent units compose', async () => {
    const s = await openStore(fresh());
    const add = (ip: string) => (cur: string[] | undefined) => {
      if (cur?.includes(ip)) throw new Error(`${ip} taken`);
      return [...(cur ?? []), ip];
    };
    const t1 = s.begin();
    const t2 = s.begin();
    const t3 = s.begin();
    t1.update('pool', add('a'));
    t2.update('pool', add('b'));
    t3.update('pool', add('a'));
    t3.put('endpoint/3', 'a');
    await Promise.all([t1.commit(), t2.commit()]);
    await expect(t3.commit()).rejects.toThrow('a taken');
    expect((await s.get('pool'))?.value).toEqual(['a', 'b']);
    expect(await s.get('endpoint/3')).toBeUndefined();
  });

  it('imports the one-file-per-key store of earlier versions once, then removes it', async () => {
    const dir = fresh();
    const old = path.join(dir, 'store');
    fs.mkdirSync(old);
    const write = (key: string, revision: number, value: unknown) =>
      fs.writeFileSync(path.join(old, `${encodeURIComponent(key)}.json`), JSON.stringify({ key, revision, value }));
    write('network/abc', 7, { name: 'n1' });
    write('ipam/local/index', 12, { pools: ['10.1.0.0/24'] });
    fs.writeFileSync(path.join(old, 'endpoint%2Fx.json.tmp'), '{"key":"endpoint/x","rev'); // torn by a crash
    const s = await LmdbStore.open(dir);
    expect(fs.existsSync(old)).toBe(false);
    expect(await s.get('network/abc')).toEqual({ key: 'network/abc', value: { name: 'n1' }, revision: 7 });
    expect((await s.get('ipam/local/index'))?.revision).toBe(12);
    expect(await s.get('endpoint/x')).toBeUndefined();
    expect(await s.put('network/def', {})).toBe(13);
    await s.close();
    const again = await openStore(dir);
    expect((await again.list('network/')).map((r) => r.key)).toEqual(['network/abc', 'network/def']);
  });
});
