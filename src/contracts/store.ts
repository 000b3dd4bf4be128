/**
 * The one key/value contract every state holder implements: the embedded local store now,
 * etcd for global scope later. Values are JSON; every record carries a revision so
 * compare-and-swap can make allocation safe under concurrency.
 */
export interface Record<T = unknown> {
  key: string;
  value: T;
  /** Monotonic per store; changes on every write of this key. */
  revision: number;
}

export interface Store {
  get<T>(key: string): Promise<Record<T> | undefined>;
  /** Unconditional write; returns the new revision. */
  put<T>(key: string, value: T): Promise<number>;
  /** Returns whether the key existed. */
  delete(key: string): Promise<boolean>;
  /** Every record whose key starts with prefix, ordered by key. */
  list<T>(prefix: string): Promise<Record<T>[]>;
  /**
   * Write only if the key's current revision equals `expected` (null: the key must not
   * exist). Returns the new revision, or undefined if the condition failed.
   */
  compareAndSwap<T>(key: string, expected: number | null, value: T): Promise<number | undefined>;
  /** Delete only if the revision still matches. */
  compareAndDelete(key: string, expected: number): Promise<boolean>;
  close(): Promise<void>;
}

/** One change seen by a watch: a put carries the new value; a delete only the key. */
export type WatchEvent<T = unknown> =
  | { type: 'put'; key: string; value: T; revision: number }
  | { type: 'delete'; key: string; revision: number };

/** A store shared by several daemons (etcd), which can tell each of them what changed. */
export interface WatchableStore extends Store {
  /** Records under prefix plus the revision they were read at (watch from revision + 1). */
  snapshot<T>(prefix: string): Promise<{ records: Record<T>[]; revision: number }>;
  watch<T>(prefix: string, cb: (ev: WatchEvent<T>) => void, fromRevision?: number): Promise<() => Promise<void>>;
}
