/**
 * The etcd backend of the Store interface, for global-scope state (overlay networks, their
 * IPAM, VNIs, published endpoints, nodes). Keys live under a configurable prefix
 * (default "/weft/"); a record's revision is etcd's mod_revision, so compare-and-swap and
 * compare-and-delete are one transaction each ("mod_revision == expected", or
 * "create_revision == 0" for a key that must not exist). On top of the interface:
 * snapshot+watch of a prefix (a consistent list and the revision to watch from), and
 * leases for liveness (keys written under a lease vanish when its holder stops renewing).
 *
 * A unit of work (begin) commits as one etcd txn: every key it touches is read, the
 * changes are resolved over those values, and the txn writes them only if none of the keys
 * changed since (mod_revision compares); when another writer came between, it is re-read
 * and resolved again, so update functions compose with concurrent writers.
 */
import { EventEmitter } from 'node:events';
import { Etcd3, type IKeyValue, type Lease, type Namespace, type Watcher } from 'etcd3';
import type { Record, Transaction, TxnOp, WatchableStore, WatchEvent } from '../contracts/store.js';
import { TxnConflict } from '../util/errors.js';
import { BufferedTxn, resolveOps } from './txn.js';
import { timed } from '../metrics/registry.js';
import { WatchLag } from './watch-lag.js';

/** How often a unit is re-resolved when other writers keep changing its keys. */
const TXN_ATTEMPTS = 10;

export interface EtcdStoreOptions {
  /** "etcd://host:port" or "http://host:port" (several, comma-separated, are fine). */
  url: string;
  /** Key prefix; every key of this store lives below it. */
  prefix?: string;
  /** Per-request deadline in ms (default 5000). */
  timeoutMs?: number;
}

/** A lease kept alive by the client until revoked; `lost` fires when etcd dropped it. */
export interface StoreLease extends EventEmitter {
  readonly ttl: number;
  id(): Promise<string>;
  /** Write a key that lives as long as this lease. */
  put<T>(key: string, value: T): Promise<number>;
  revoke(): Promise<void>;
  on(event: 'lost', fn: (err: Error) => void): this;
}

export function parseEtcdUrl(url: string): string[] {
  return url.split(',').map((u) => {
    const m = /^(?:etcd|http|https):\/\/([^/]+)\/?$/.exec(u.trim());
    if (!m) throw new Error(`invalid cluster store "${u}": expected etcd://HOST:PORT`);
    return `${u.trim().startsWith('https') ? 'https' : 'http'}://${m[1]}`;
  });
}

export class EtcdStore implements WatchableStore {
  private readonly client: Etcd3;
  private readonly ns: Namespace;
  readonly prefix: string;
  private readonly watchers = new Set<Watcher>();
  /** Times the watches' delay on this client's own writes (metrics). */
  private readonly lag = new WatchLag();
  private readonly leases = new Set<Lease>();

  constructor(o: EtcdStoreOptions) {
    this.prefix = o.prefix ?? '/weft/';
    this.client = new Etcd3({
      hosts: parseEtcdUrl(o.url),
      // A deadline per request, none on streams (watches, lease keepalives).
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + (o.timeoutMs ?? 5000) }),
    });
    this.ns = this.client.namespace(this.prefix);
  }

  /** Connect and check etcd answers (within timeoutMs, retried until then). */
  static async connect(o: EtcdStoreOptions & { waitMs?: number }): Promise<EtcdStore> {
    const s = new EtcdStore(o);
    const deadline = Date.now() + (o.waitMs ?? 10_000);
    for (;;) {
      try {
        await s.ns.get('_ping').exec();
        return s;
      } catch (err) {
        if (Date.now() > deadline) {
          await s.close();
          throw new Error(`cluster store ${o.url} does not answer: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async get<T>(key: string): Promise<Record<T> | undefined> {
    const res = await this.ns.get(key).exec();
    const kv = res.kvs[0];
    return kv ? this.toRecord<T>(kv) : undefined;
  }

  async put<T>(key: string, value: T): Promise<number> {
    const sent = performance.now();
    const res = await this.ns.put(key).value(JSON.stringify(value)).exec();
    return this.wrote(sent, res.header.revision);
  }

  async delete(key: string): Promise<boolean> {
    const sent = performance.now();
    const res = await this.ns.delete().key(key).exec();
    if (Number(res.deleted) > 0) this.wrote(sent, res.header.revision);
    return Number(res.deleted) > 0;
  }

  async list<T>(prefix: string): Promise<Record<T>[]> {
    return (await this.snapshot<T>(prefix)).records;
  }

  /** Every record under prefix and the store revision they were read at. */
  async snapshot<T>(prefix: string): Promise<{ records: Record<T>[]; revision: number }> {
    const res = await this.ns.getAll().prefix(prefix).sort('Key', 'Ascend').exec();
    return { records: res.kvs.map((kv) => this.toRecord<T>(kv)), revision: Number(res.header.revision) };
  }

  async compareAndSwap<T>(key: string, expected: number | null, value: T): Promise<number | undefined> {
    const txn = expected === null
      ? this.ns.if(key, 'Create', '==', 0)
      : this.ns.if(key, 'Mod', '==', expected);
    const sent = performance.now();
    const res = await txn.then(this.ns.put(key).value(JSON.stringify(value))).commit();
    return res.succeeded ? this.wrote(sent, res.header.revision) : undefined;
  }

  async compareAndDelete(key: string, expected: number): Promise<boolean> {
    const res = await this.ns.if(key, 'Mod', '==', expected).then(this.ns.delete().key(key)).commit();
    return res.succeeded;
  }

  begin(): Transaction {
    return new BufferedTxn(this, (ops) => timed('store_commit', 'etcd', () => this.applyTxn(ops)));
  }

  private async applyTxn(ops: TxnOp[]): Promise<void> {
    const keys = [...new Set(ops.map((o) => o.key))];
    for (let attempt = 1; attempt <= TXN_ATTEMPTS; attempt++) {
      const current = new Map<string, Record>();
      for (const k of keys) {
        const r = await this.get(k);
        if (r) current.set(k, r);
      }
      const writes = resolveOps(ops, (k) => current.get(k), true);
      const [first, ...rest] = keys;
      const rev = (k: string) => current.get(k)?.revision;
      let txn = rev(first) === undefined ? this.ns.if(first, 'Create', '==', 0) : this.ns.if(first, 'Mod', '==', rev(first)!);
      for (const k of rest) txn = rev(k) === undefined ? txn.and(k, 'Create', '==', 0) : txn.and(k, 'Mod', '==', rev(k)!);
      const changes = [...writes].map(([k, w]) => (w === null ? this.ns.delete().key(k) : this.ns.put(k).value(JSON.stringify(w.value))));
      const sent = performance.now();
      const res = await txn.then(...changes).commit();
      if (res.succeeded) {
        this.wrote(sent, res.header.revision);
        return;
      }
    }
    throw new TxnConflict(`cluster store keys ${keys.join(', ')} kept changing; gave up after ${TXN_ATTEMPTS} attempts`);
  }

  /**
   * Watch every key under prefix from `fromRevision` (default: now). The callback gets
   * puts with the new value and deletes with the key only (keep your own cache for the
   * old value). Resolves once the watch is established; the returned function cancels it.
   */
  async watch<T>(prefix: string, cb: (ev: WatchEvent<T>) => void, fromRevision?: number): Promise<() => Promise<void>> {
    let b = this.ns.watch().prefix(prefix);
    if (fromRevision !== undefined) b = b.startRevision(String(fromRevision));
    const w = await b.create();
    this.watchers.add(w);
    const strip = (k: Buffer) => this.unprefixed(k);
    w.on('put', (kv) => {
      let value: T;
      try { value = JSON.parse(kv.value.toString()) as T; } catch { return; }
      this.lag.delivered(Number(kv.mod_revision));
      cb({ type: 'put', key: strip(kv.key), value, revision: Number(kv.mod_revision) });
    });
    w.on('delete', (kv) => {
      this.lag.delivered(Number(kv.mod_revision));
      cb({ type: 'delete', key: strip(kv.key), revision: Number(kv.mod_revision) });
    });
    w.on('error', () => undefined); // the client reconnects and resumes by itself
    return async () => {
      this.watchers.delete(w);
      await w.cancel().catch(() => undefined);
    };
  }

  /**
   * Grant a lease of `ttl` seconds, kept alive every ttl/3 by the client. Keys written
   * through it are deleted by etcd when the holder stops renewing (a crash, a partition).
   */
  async grantLease(ttl: number): Promise<StoreLease> {
    const lease = this.ns.lease(ttl);
    this.leases.add(lease);
    const em = new EventEmitter() as StoreLease;
    lease.on('lost', (err) => em.emit('lost', err));
    Object.assign(em, {
      ttl,
      id: () => lease.grant(),
      put: async (key: string, value: unknown) => {
        const sent = performance.now();
        return this.wrote(sent, (await lease.put(key).value(JSON.stringify(value)).exec()).header.revision);
      },
      revoke: async () => {
        this.leases.delete(lease);
        await lease.revoke().catch(() => undefined);
      },
    });
    await lease.grant();
    return em;
  }

  /** Note a committed write for the watch lag; its revision as a number. */
  private wrote(sentAt: number, revision: string): number {
    this.lag.wrote(sentAt, Number(revision));
    return Number(revision);
  }

  /** Stop watches and keepalives (leases are NOT revoked: revoke them first if wanted). */
  async close(): Promise<void> {
    for (const w of this.watchers) await w.cancel().catch(() => undefined);
    this.watchers.clear();
    for (const l of this.leases) l.release();
    this.leases.clear();
    this.client.close();
  }

  private toRecord<T>(kv: IKeyValue): Record<T> {
    return { key: this.unprefixed(kv.key), value: JSON.parse(kv.value.toString()) as T, revision: Number(kv.mod_revision) };
  }

  /** etcd3's namespace strips its prefix from range and watch results, not from a single get. */
  private unprefixed(k: Buffer): string {
    const s = k.toString();
    return s.startsWith(this.prefix) ? s.slice(this.prefix.length) : s;
  }
}
