/**
 * The one ordering primitive: jobs on one queue run one at a time in call order, and a
 * failed job does not block the next. KeyedSerial keeps a queue per key (a network, a
 * container) so operations on one object are ordered while different objects run in
 * parallel; a key's queue is dropped as soon as it is idle.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.tail.then(job, job);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(job, job);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with a job queued or running (for tests and diagnostics). */
  get size(): number {
    return this.tails.size;
  }
}
