/**
 * The one key/value contract every state holder implements: the embedded local store (LMDB)
 * and etcd for global scope. Values are JSON; every record carries a revision so
 * compare-and-swap can make allocation safe under concurrency.
 *
 * One operation = one unit of work: `begin()` opens a buffered transaction that collects
 * the operation's record changes while its kernel work runs (awaits and all), and
 * `commit()` applies them in one store transaction, all or none. Nothing is held open
 * across awaits (LMDB write transactions must not be, and etcd has no long transactions),
 * so checks are optimistic: `expect` pins a revision and `update` re-runs its function on
 * the committed value inside the commit, both validated there; a failed check throws
 * TxnConflict (or the update's own error) and writes nothing.
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
  /** A unit of work over this store, committed in one transaction. */
  begin(): Transaction;
  close(): Promise<void>;
}

/** Computes a key's next value from its committed one; undefined deletes it. May throw to fail the commit. */
export type Update<T> = (current: T | undefined) => T | undefined;

/**
 * Buffered changes to one store. Reads see the committed state with this unit's own
 * changes applied on top (read-your-writes); other units see nothing until commit.
 */
export interface Transaction {
  get<T>(key: string): Promise<Record<T> | undefined>;
  list<T>(prefix: string): Promise<Record<T>[]>;
  put<T>(key: string, value: T): void;
  delete(key: string): void;
  /** Re-run on the committed value inside the commit, so concurrent units compose. */
  update<T>(key: string, fn: Update<T>): void;
  /** The commit fails unless the key's revision is still `revision` (null: the key is absent). */
  expect(key: string, revision: number | null): void;
  /** Runs once the unit is settled: after its commit (true) or when it is abandoned (false). */
  onSettle(fn: (committed: boolean) => void): void;
  /** Apply every change in one store transaction; the unit is settled either way. */
  commit(): Promise<void>;
  /** Drop every buffered change (no-op once settled). */
  abort(): void;
}

/** One buffered change, in the order it was made. */
export type TxnOp =
  | { type: 'put'; key: string; value: unknown }
  | { type: 'delete'; key: string }
  | { type: 'update'; key: string; fn: Update<unknown> }
  | { type: 'expect'; key: string; revision: number | null };

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
