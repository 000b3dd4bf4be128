/**
 * A Store kept in one JSON file of a state directory, for plugins that run as one short
 * process per operation: the whole file is read at open and every commit rewrites it
 * (write to a temporary file, rename), so a kill at any moment leaves either the old or
 * the new state, never half of one. Only ever used under the directory's lock (StateDir),
 * so no other process writes between a read and a commit. A long-lived process (the
 * daemon) keeps what it last read or wrote and reuses it while the file's inode, times and
 * size are unchanged: every commit renames a new file in place, so another writer changes them.
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
    recoverFile(file);
    const stamp = stampOf(file);
    const seen = stamp === undefined ? undefined : lastSeen.get(file);
    if (seen && seen.stamp === stamp) {
      this.revision = seen.revision;
      this.records = new Map(seen.records);
      return;
    }
    const shape = readShape(file);
    this.revision = shape.revision;
    this.records = new Map(Object.entries(shape.records));
    this.remember(stamp);
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
    replaceFile(this.file, JSON.stringify({ revision, records: Object.fromEntries(next) }));
    this.revision = revision;
    this.records.clear();
    for (const [k, v] of next) this.records.set(k, v);
    this.remember(stampOf(this.file));
  }

  /** Stored values are never changed in place (reads clone them), so the cache shares them. */
  private remember(stamp: string | undefined): void {
    if (stamp === undefined) lastSeen.delete(this.file);
    else lastSeen.set(this.file, { stamp, revision: this.revision, records: new Map(this.records) });
  }
}

const lastSeen = new Map<string, { stamp: string; revision: number; records: Map<string, Stored> }>();

function stampOf(file: string): string | undefined {
  try {
    const st = fs.statSync(file, { bigint: true });
    return `${st.dev}:${st.ino}:${st.mtimeNs}:${st.ctimeNs}:${st.size}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
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

/**
 * Write-then-rename: readers and a killed process see the old file or the new one. For a
 * name not taken yet (an attachment record); replaceFile replaces one. No
 * fsync (host-local does none either): what the state describes — links, addresses in
 * namespaces, port maps — does not outlive a power loss, which is all an fsync would guard.
 */
export function writeAtomic(file: string, data: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/**
 * Replace file with data: write it whole to <file>.next, unlink file, rename .next in place.
 * Renaming over an existing file makes ext4 write it back first (auto_da_alloc), 2-5 ms on
 * this path; a rename to a free name costs none. A kill before the unlink leaves the old
 * file (and a stale .next, dropped next time); after it only .next, which recoverFile
 * puts in place: either way a whole state. Under the directory's lock only.
 */
function replaceFile(file: string, data: string): void {
  const next = `${file}.next`;
  fs.rmSync(next, { force: true });
  const fd = fs.openSync(next, 'wx', 0o600);
  try {
    fs.writeSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
  fs.rmSync(file, { force: true });
  fs.renameSync(next, file);
}

/** Finish a replaceFile a kill interrupted between its unlink and its rename. */
function recoverFile(file: string): void {
  if (!fs.existsSync(file) && fs.existsSync(`${file}.next`)) fs.renameSync(`${file}.next`, file);
}
