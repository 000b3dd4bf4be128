/**
 * A Store kept in one JSON file of a state directory, for plugins that run as one short
 * process per operation: the whole file is read at open and every commit rewrites it
 * (write to a temporary file, fsync, rename), so a kill at any moment leaves either the
 * old or the new state, never half of one. Only ever used under the directory's lock
 * (StateDir), so no other process writes between a read and a commit.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Record, Store, Transaction, TxnOp } from '../contracts/store.js';
import { BufferedTxn, resolveOps } from '../store/txn.js';

interface Stored { revision: number; value: unknown }
interface FileShape { revision: number; records: { [key: string]: Stored } }

export class FileStore implements Store {
  private revision: number;
  private readonly records: Map<string, Stored>;

  constructor(private readonly file: string) {
    const shape = readShape(file);
    this.revision = shape.revision;
    this.records = new Map(Object.entries(shape.records));
  }

  async get<T>(key: string): Promise<Record<T> | undefined> {
    return this.read(key) as Record<T> | undefined;
  }

  async list<T>(prefix: string): Promise<Record<T>[]> {
    return [...this.records.keys()].filter((k) => k.startsWith(prefix)).sort().map((k) => this.read(k) as Record<T>);
  }

  async put<T>(key: string, value: T): Promise<number> {
    await this.apply([{ type: 'put', key, value }]);
    return this.revision;
  }

  async delete(key: string): Promise<boolean> {
    const had = this.records.has(key);
    if (had) await this.apply([{ type: 'delete', key }]);
    return had;
  }

  async compareAndSwap<T>(key: string, expected: number | null, value: T): Promise<number | undefined> {
    if ((this.records.get(key)?.revision ?? null) !== expected) return undefined;
    return this.put(key, value);
  }

  async compareAndDelete(key: string, expected: number): Promise<boolean> {
    if (this.records.get(key)?.revision !== expected) return false;
    return this.delete(key);
  }

  begin(): Transaction {
    return new BufferedTxn(this, (ops) => this.apply(ops));
  }

  async close(): Promise<void> {}

  private read(key: string): Record | undefined {
    const s = this.records.get(key);
    return s && { key, value: structuredClone(s.value), revision: s.revision };
  }

  /** Checks run against the committed records first: a failed one writes nothing. */
  private async apply(ops: TxnOp[]): Promise<void> {
    const resolved = resolveOps(ops, (k) => this.read(k), true);
    const revision = this.revision + 1;
    const next = new Map(this.records);
    for (const [key, w] of resolved) {
      if (w === null) next.delete(key);
      else next.set(key, { revision, value: w.value });
    }
    writeAtomic(this.file, JSON.stringify({ revision, records: Object.fromEntries(next) }));
    this.revision = revision;
    this.records.clear();
    for (const [k, v] of next) this.records.set(k, v);
  }
}

function readShape(file: string): FileShape {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as FileShape;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { revision: 0, records: {} };
    throw err;
  }
}

/** Write-then-rename: readers and a crash see the old file or the new one. */
export function writeAtomic(file: string, data: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
