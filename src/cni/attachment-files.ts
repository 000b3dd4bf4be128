/**
 * The attachment records of a state directory, one file each under <dir>/attachments
 * (named by the record's key), so a verb reads and rewrites only its own attachment's
 * record and ADD and DEL cost the same at 1 and at 1,000 attachments. ADD writes its record
 * once, as <key>.json.part, before it touches the kernel, and renames it to <key>.json when
 * it is done: a .part record is what a crash mid-ADD left. A rename to a name not taken
 * costs no flush, where replacing a file does (ext4's auto_da_alloc). Used under the
 * directory's lock, like the rest of the state.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeAtomic } from './file-store.js';

const DONE = '.json';
const PART = '.json.part';

export interface Found<T> { value: T; complete: boolean }

export class AttachmentFiles {
  constructor(private readonly dir: string) {}

  async get<T>(key: string): Promise<Found<T> | undefined> {
    const done = this.read<T>(this.file(key, DONE));
    if (done) return { value: done, complete: true };
    const part = this.read<T>(this.file(key, PART));
    return part && { value: part, complete: false };
  }

  /** Record an attachment being made. */
  async begin<T>(key: string, value: T): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeAtomic(this.file(key, PART), JSON.stringify(value));
  }

  /** Mark the attachment begun under key as made. */
  async complete(key: string): Promise<void> {
    fs.renameSync(this.file(key, PART), this.file(key, DONE));
  }

  async delete(key: string): Promise<void> {
    fs.rmSync(this.file(key, DONE), { force: true });
    fs.rmSync(this.file(key, PART), { force: true });
  }

  /** Every record whose key starts with prefix, in key order. */
  async list<T>(prefix: string): Promise<Found<T>[]> {
    const names = fs.existsSync(this.dir) ? fs.readdirSync(this.dir) : [];
    const keys = new Set(names.map((n) => n.match(/^(.*)\.json(\.part)?$/)?.[1]).filter((n) => n !== undefined).map(decodeURIComponent));
    const found = await Promise.all([...keys].filter((k) => k.startsWith(prefix)).sort().map((k) => this.get<T>(k)));
    return found.filter((r): r is Found<T> => r !== undefined);
  }

  private file(key: string, suffix: string): string {
    return path.join(this.dir, `${encodeURIComponent(key)}${suffix}`);
  }

  private read<T>(file: string): T | undefined {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}
