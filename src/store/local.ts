/**
 * The embedded local store: one JSON file per key under `<root>/store/`, written
 * atomically and durably (write temp, fsync, rename, fsync dir) so a kill -9 leaves either
 * the old or the new value, never a torn one. Everything is also kept in memory, so reads
 * and prefix lists cost no I/O; writes are serialised per store so revisions stay ordered.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Record, Store } from '../contracts/store.js';
import { Serial } from '../util/lock.js';

interface Stored { revision: number; value: unknown }

export class LocalStore implements Store {
  private readonly dir: string;
  private readonly data = new Map<string, Stored>();
  private revision = 0;
  private readonly writes = new Serial();

  private constructor(root: string) {
    this.dir = path.join(root, 'store');
  }

  /** Open (creating if needed) the store under a state root and load every record. */
  static open(root: string): LocalStore {
    const s = new LocalStore(root);
    fs.mkdirSync(s.dir, { recursive: true, mode: 0o700 });
    for (const file of fs.readdirSync(s.dir)) {
      const full = path.join(s.dir, file);
      if (file.endsWith('.tmp')) { fs.rmSync(full, { force: true }); continue; } // torn write
      const rec = JSON.parse(fs.readFileSync(full, 'utf8')) as Stored & { key: string };
      s.data.set(rec.key, { revision: rec.revision, value: rec.value });
      s.revision = Math.max(s.revision, rec.revision);
    }
    return s;
  }

  async get<T>(key: string): Promise<Record<T> | undefined> {
    const r = this.data.get(key);
    return r && { key, value: structuredClone(r.value) as T, revision: r.revision };
  }

  async list<T>(prefix: string): Promise<Record<T>[]> {
    const out: Record<T>[] = [];
    for (const [key, r] of this.data) {
      if (key.startsWith(prefix)) out.push({ key, value: structuredClone(r.value) as T, revision: r.revision });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  put<T>(key: string, value: T): Promise<number> {
    return this.serial(() => this.write(key, value));
  }

  compareAndSwap<T>(key: string, expected: number | null, value: T): Promise<number | undefined> {
    return this.serial(() => {
      const cur = this.data.get(key);
      if (expected === null ? cur !== undefined : cur?.revision !== expected) return undefined;
      return this.write(key, value);
    });
  }

  delete(key: string): Promise<boolean> {
    return this.serial(() => this.remove(key));
  }

  compareAndDelete(key: string, expected: number): Promise<boolean> {
    return this.serial(() => (this.data.get(key)?.revision === expected ? this.remove(key) : false));
  }

  /** Resolves once every write queued before it is on disk. */
  async close(): Promise<void> {
    await this.writes.run(async () => undefined);
  }

  /** Runs fn after every earlier write; a failure fails only its own caller. */
  private serial<R>(fn: () => R): Promise<R> {
    return this.writes.run(async () => fn());
  }

  private fileOf(key: string): string {
    // Keys are paths like "network/abc"; encodeURIComponent keeps one flat directory.
    return path.join(this.dir, `${encodeURIComponent(key)}.json`);
  }

  private write(key: string, value: unknown): number {
    const revision = ++this.revision;
    const file = this.fileOf(key);
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify({ key, revision, value }));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    this.syncDir();
    this.data.set(key, { revision, value: structuredClone(value) });
    return revision;
  }

  private remove(key: string): boolean {
    if (!this.data.has(key)) return false;
    fs.rmSync(this.fileOf(key), { force: true });
    this.syncDir();
    this.data.delete(key);
    return true;
  }

  private syncDir(): void {
    const fd = fs.openSync(this.dir, 'r');
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  }
}
