/**
 * FileStore (src/cni/file-store.ts): a commit interrupted between its unlink and its rename
 * still leaves a whole state, a stale copy from an earlier kill is dropped, and a reopened
 * store sees what another process wrote even while this one keeps its last parse.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/cni/file-store.js';

describe('cni FileStore', () => {
  const dirs: string[] = [];
  const fileIn = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wc16-fs-'));
    dirs.push(dir);
    return path.join(dir, 'state.json');
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('keeps what it commits across reopening', async () => {
    const file = fileIn();
    await new FileStore(file).put('a', 1);
    await new FileStore(file).put('b', 2);
    const s = new FileStore(file);
    expect((await s.list('')).map((r) => [r.key, r.value])).toEqual([['a', 1], ['b', 2]]);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['state.json']);
  });

  it('takes the finished copy when a kill came between the unlink and the rename', async () => {
    const file = fileIn();
    await new FileStore(file).put('a', 1);
    const shape = JSON.parse(fs.readFileSync(file, 'utf8'));
    shape.revision += 1;
    shape.records.b = { revision: shape.revision, value: 2 };
    fs.writeFileSync(`${file}.next`, JSON.stringify(shape));
    fs.rmSync(file);
    const s = new FileStore(file);
    expect((await s.get('b'))?.value).toBe(2);
    expect(fs.existsSync(file)).toBe(true);
  });

  it('keeps the old state when a kill came before the unlink, and drops the stale copy at the next commit', async () => {
    const file = fileIn();
    await new FileStore(file).put('a', 1);
    fs.writeFileSync(`${file}.next`, '{"revision": 9, "records": {"half": ');
    const s = new FileStore(file);
    expect(await s.get('half')).toBeUndefined();
    await s.put('c', 3);
    expect(fs.existsSync(`${file}.next`)).toBe(false);
    expect((await new FileStore(file).list('')).map((r) => r.key)).toEqual(['a', 'c']);
  });

  it('reads again what another writer put in place of the file', async () => {
    const file = fileIn();
    await new FileStore(file).put('a', 1);
    expect((await new FileStore(file).get('a'))?.value).toBe(1);
    const other = `${file}.other`;
    fs.writeFileSync(other, JSON.stringify({ revision: 5, records: { a: { revision: 5, value: 'theirs' } } }));
    fs.renameSync(other, file);
    expect((await new FileStore(file).get('a'))?.value).toBe('theirs');
  });
});
