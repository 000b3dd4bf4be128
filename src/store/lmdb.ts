/**
 * The embedded local store on LMDB (`<root>/store.lmdb`), as libnetwork keeps its state in
 * boltdb. Every commit is one LMDB write transaction, durable before its promise resolves
 * (no noSync: LMDB's default sync, overlapped with the next transaction), so a kill -9
 * leaves each unit of work whole or absent.
 *
 * Units of work are buffered (BufferedTxn) and applied at commit inside one synchronous
 * LMDB transaction callback: an operation interleaves kernel work (awaits) with record
 * changes, and an LMDB write transaction must not stay open across an await, so nothing is
 * written until the operation knows its outcome. Checks (expected revisions, update
 * functions) run inside that callback against the committed state, before any write, so a
 * failed check writes nothing. Every commit bumps one store revision, kept in the meta
 * database, and stamps it on each key it writes: revisions never repeat, even for a key
 * deleted and written again, so compare-and-swap stays sound.
 *
 * Values are stored as JSON, as the records cross the API as JSON (an undefined field is
 * absent after a reload, as it is in a response).
 *
 * Upgrade: a `<root>/store/` directory of the earlier one-JSON-file-per-key store is
 * imported in one transaction on first open and then removed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { Record, Store, Transaction, TxnOp } from '../contracts/store.js';
import { TxnConflict } from '../util/errors.js';
import { BufferedTxn, resolveOps } from './txn.js';
import { timed } from '../metrics/registry.js';

interface Stored { revision: number; value: unknown }

const REVISION = 'revision';
const IMPORTED = 'imported-json-store';

export class LmdbStore implements Store {
  private constructor(
    private readonly env: RootDatabase,
    private readonly records: Database<Stored, string>,
    private readonly meta: Database<number | boolean, string>,
  ) {}

  /** Open (creating if needed) the store under a state root, importing an old JSON store there. */
  static async open(root: string): Promise<LmdbStore> {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
    const env = open({ path: path.join(root, 'store.lmdb'), maxDbs: 4, compression: false });
    const s = new LmdbStore(
      env,
      env.openDB<Stored, string>({ name: 'records', encoding: 'json' }),
      env.openDB<number | boolean, string>({ name: 'meta', encoding: 'json' }),
    );
    await s.importJsonStore(path.join(root, 'store'));
    return s;
  }

  async get<T>(key: string): Promise<Record<T> | undefined> {
    return this.read(key) as Record<T> | undefined;
  }

  async list<T>(prefix: string): Promise<Record<T>[]> {
    const out: Record<T>[] = [];
    for (const { key, value } of this.records.getRange({ start: prefix })) {
      if (!key.startsWith(prefix)) break;
      out.push({ key, value: value.value as T, revision: value.revision });
    }
    return out;
  }

  put<T>(key: string, value: T): Promise<number> {
    return this.apply([{ type: 'put', key, value }]);
  }

  async delete(key: string): Promise<boolean> {
    let existed = false;
    await this.apply([{ type: 'update', key, fn: (cur) => { existed = cur !== undefined; return undefined; } }]);
    return existed;
  }

  async compareAndSwap<T>(key: string, expected: number | null, value: T): Promise<number | undefined> {
    return this.conditional([{ type: 'expect', key, revision: expected }, { type: 'put', key, value }]);
  }

  async compareAndDelete(key: string, expected: number): Promise<boolean> {
    return (await this.conditional([{ type: 'expect', key, revision: expected }, { type: 'delete', key }])) !== undefined;
  }

  begin(): Transaction {
    return new BufferedTxn(this, async (ops) => { await this.apply(ops); });
  }

  /** Resolves once every commit queued before it is on disk, then closes the environment. */
  async close(): Promise<void> {
    await this.env.flushed;
    await this.env.close();
  }

  private read(key: string): Record | undefined {
    const s = this.records.get(key);
    return s && { key, value: s.value, revision: s.revision };
  }

  private async conditional(ops: TxnOp[]): Promise<number | undefined> {
    try {
      return await this.apply(ops);
    } catch (err) {
      if (err instanceof TxnConflict) return undefined;
      throw err;
    }
  }

  /** One LMDB write transaction for the whole list; resolves with the revision it wrote at. */
  private apply(ops: TxnOp[]): Promise<number> {
    return timed('store_commit', 'lmdb', () => this.env.transaction(() => {
      const writes = resolveOps(ops, (k) => this.read(k), true); // throws before any write
      const revision = ((this.meta.get(REVISION) as number | undefined) ?? 0) + 1;
      for (const [key, w] of writes) {
        if (w === null) this.records.remove(key);
        else this.records.put(key, { revision, value: w.value });
      }
      this.meta.put(REVISION, revision);
      return revision;
    }));
  }

  /** The one-file-per-key store of earlier versions: every record, with its revision, in one commit. */
  private async importJsonStore(dir: string): Promise<void> {
    if (!fs.existsSync(dir)) return;
    if (!this.meta.get(IMPORTED)) {
      const recs: (Stored & { key: string })[] = [];
      for (const file of fs.readdirSync(dir)) {
        if (!file.endsWith('.json')) continue; // a .tmp is a write torn by a crash
        recs.push(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Stored & { key: string });
      }
      await this.env.transaction(() => {
        let max = (this.meta.get(REVISION) as number | undefined) ?? 0;
        for (const r of recs) {
          this.records.put(r.key, { revision: r.revision, value: r.value });
          max = Math.max(max, r.revision);
        }
        this.meta.put(REVISION, max);
        this.meta.put(IMPORTED, true);
      });
      await this.env.flushed;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
