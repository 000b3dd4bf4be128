/** name:tag -> image id, kept in one JSON file replaced by rename on every change. */
import fs from 'node:fs';
import { WeftError } from '../util/errors.js';
import { idPrefixOf, normaliseReference } from './reference.js';

export class Repositories {
  private readonly refs = new Map<string, string>();

  constructor(private readonly file: string) {}

  /** Reads the file, dropping tags of images that are gone (a removal cut short). */
  load(exists: (id: string) => boolean): void {
    let saved: { [ref: string]: string } = {};
    try {
      saved = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch {
      // none yet
    }
    for (const [ref, id] of Object.entries(saved)) if (exists(id)) this.refs.set(ref, id);
    if (this.refs.size !== Object.keys(saved).length) this.save();
  }

  /** Points ref at id; returns the image it named before, if another. */
  set(ref: string, id: string): string | undefined {
    const key = normaliseReference(ref);
    const before = this.refs.get(key);
    this.refs.set(key, id);
    this.save();
    return before !== id ? before : undefined;
  }

  delete(ref: string): void {
    if (this.refs.delete(ref)) this.save();
  }

  tagsOf(id: string): string[] {
    return [...this.refs].filter(([, v]) => v === id).map(([k]) => k).sort();
  }

  /** ref as the name:tag it is tagged as, when it is one. */
  tagged(ref: string): string | undefined {
    try {
      const key = normaliseReference(ref);
      return this.refs.has(key) ? key : undefined;
    } catch (err) {
      if (err instanceof WeftError) return undefined;
      throw err;
    }
  }

  /** The image ref names: by its tag, else as a unique prefix of one of ids. */
  resolve(ref: string, ids: string[]): string | undefined {
    const key = this.tagged(ref);
    if (key) return this.refs.get(key);
    const prefix = idPrefixOf(ref);
    if (!prefix) return undefined;
    const hits = ids.filter((id) => id.slice(7).startsWith(prefix));
    return hits.length === 1 ? hits[0] : undefined;
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.refs), null, 1));
    fs.renameSync(tmp, this.file);
  }
}
