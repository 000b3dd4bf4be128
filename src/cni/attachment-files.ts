/**
 * The attachment records of a state directory, one file each under <dir>/attachments
 * (named by the record's key, written by write-then-rename like FileStore), so a verb
 * reads and rewrites only its own attachment's record and ADD and DEL cost the same at 1
 * and at 1,000 attachments. Used under the directory's lock, like the rest of the state.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeAtomic } from './file-store.js';

export class AttachmentFiles {
  constructor(private readonly dir: string) {}

  async get<T>(key: string): Promise<{ value: T } | undefined> {
    return this.read<T>(this.file(key));
  }

  async put<T>(key: string, value: T): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeAtomic(this.file(key), JSON.stringify(value));
  }

  async delete(key: string): Promise<void> {
    fs.rmSync(this.file(key), { force: true });
  }

  /** Every record whose key starts with prefix, in key order. */
  async list<T>(prefix: string): Promise<{ value: T }[]> {
    const names = fs.existsSync(this.dir) ? fs.readdirSync(this.dir) : [];
    const keys = names.filter((n) => n.endsWith('.json')).map((n) => decodeURIComponent(n.slice(0, -5)));
    const found = keys.filter((k) => k.startsWith(prefix)).sort().map((k) => this.read<T>(this.file(k)));
    return found.filter((r): r is { value: T } => r !== undefined);
  }

  private file(key: string): string {
    return path.join(this.dir, `${encodeURIComponent(key)}.json`);
  }

  private read<T>(file: string): { value: T } | undefined {
    try {
      return { value: JSON.parse(fs.readFileSync(file, 'utf8')) as T };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}
