/**
 * The buffered unit of work every store hands out (see Transaction in contracts/store):
 * changes are collected in order, reads overlay them on the committed state, and the
 * backend's `apply` turns the whole list into one store transaction. `resolveOps` is the
 * one place that decides what a list of changes means, for reads and commits alike.
 */
import type { Record, Store, Transaction, TxnOp, Update } from '../contracts/store.js';
import { TxnConflict } from '../util/errors.js';

/** A key's final state after a unit: a value, or null for deleted. */
export type Resolved = Map<string, { value: unknown } | null>;

/** Revision reads report for a value written by the unit itself and not yet committed. */
const UNCOMMITTED = -1;

/**
 * Apply ops over the committed records `current` returns. With `check`, expectations are
 * validated (TxnConflict when one fails) and update functions may throw; without, only
 * the values are computed (a read inside the unit).
 */
export function resolveOps(ops: TxnOp[], current: (key: string) => Record | undefined, check: boolean): Resolved {
  const out: Resolved = new Map();
  const valueNow = (key: string): unknown => {
    const w = out.get(key);
    return w !== undefined ? w?.value : current(key)?.value;
  };
  for (const op of ops) {
    if (op.type === 'put') out.set(op.key, { value: op.value });
    else if (op.type === 'delete') out.set(op.key, null);
    else if (op.type === 'update') {
      const next = op.fn(structuredClone(valueNow(op.key)));
      out.set(op.key, next === undefined ? null : { value: next });
    } else if (check) {
      const rev = current(op.key)?.revision ?? null;
      if (rev !== op.revision) throw new TxnConflict(`${op.key} changed (revision ${rev ?? 'none'}, expected ${op.revision ?? 'none'})`);
    }
  }
  return out;
}

export class BufferedTxn implements Transaction {
  private readonly ops: TxnOp[] = [];
  private readonly hooks: ((committed: boolean) => void)[] = [];
  private settled = false;

  constructor(private readonly store: Store, private readonly apply: (ops: TxnOp[]) => Promise<void>) {}

  async get<T>(key: string): Promise<Record<T> | undefined> {
    const base = await this.store.get<T>(key);
    return this.overlay<T>(key, base);
  }

  async list<T>(prefix: string): Promise<Record<T>[]> {
    const base = new Map((await this.store.list<T>(prefix)).map((r) => [r.key, r]));
    const keys = new Set([...base.keys(), ...this.ops.filter((o) => o.key.startsWith(prefix)).map((o) => o.key)]);
    const out: Record<T>[] = [];
    for (const key of [...keys].sort()) {
      const r = this.overlay<T>(key, base.get(key));
      if (r) out.push(r);
    }
    return out;
  }

  put<T>(key: string, value: T): void {
    this.push({ type: 'put', key, value: structuredClone(value) });
  }

  delete(key: string): void {
    this.push({ type: 'delete', key });
  }

  update<T>(key: string, fn: Update<T>): void {
    this.push({ type: 'update', key, fn: fn as Update<unknown> });
  }

  expect(key: string, revision: number | null): void {
    this.push({ type: 'expect', key, revision });
  }

  onSettle(fn: (committed: boolean) => void): void {
    if (this.settled) throw new Error('transaction already settled');
    this.hooks.push(fn);
  }

  async commit(): Promise<void> {
    if (this.settled) throw new Error('transaction already settled');
    let ok = false;
    try {
      if (this.ops.length) await this.apply(this.ops);
      ok = true;
    } finally {
      this.settle(ok);
    }
  }

  abort(): void {
    if (!this.settled) this.settle(false);
  }

  private settle(committed: boolean): void {
    this.settled = true;
    for (const fn of this.hooks.splice(0)) fn(committed);
  }

  private push(op: TxnOp): void {
    if (this.settled) throw new Error('transaction already settled');
    this.ops.push(op);
  }

  private overlay<T>(key: string, base: Record<T> | undefined): Record<T> | undefined {
    const mine = this.ops.filter((o) => o.key === key);
    if (!mine.length) return base;
    const w = resolveOps(mine, () => base, false).get(key);
    if (w === undefined) return base;
    return w === null ? undefined : { key, value: w.value as T, revision: UNCOMMITTED };
  }
}
