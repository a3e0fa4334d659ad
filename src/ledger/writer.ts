import type { LedgerRow } from '../core/ledger.ts';
import type { LedgerStore } from '../core/stores.ts';

/** Where the writer reports a failed batch (the logger). */
export type WriteFailureReporter = (error: unknown, rows: number) => void;

/**
 * Writes ledger rows off the request path: rows queue in memory and go to the store in batches
 * (every `intervalMs`, or at once when `batchSize` are waiting). A failed batch stays queued and
 * is retried with the next one; `close` flushes everything (SIGTERM drain).
 */
export class LedgerWriter {
  readonly #store: LedgerStore;
  readonly #batchSize: number;
  readonly #intervalMs: number;
  readonly #onFailure: WriteFailureReporter;
  #queue: LedgerRow[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;

  constructor(store: LedgerStore, options: { batchSize?: number; intervalMs?: number; onFailure: WriteFailureReporter }) {
    this.#store = store;
    this.#batchSize = options.batchSize ?? 200;
    this.#intervalMs = options.intervalMs ?? 250;
    this.#onFailure = options.onFailure;
  }

  /** Queues a row; never blocks the caller. */
  append(row: LedgerRow): void {
    this.#queue.push(row);
    if (this.#queue.length >= this.#batchSize) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#intervalMs);
  }

  /** Rows waiting to be written. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Writes everything queued so far. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    // Wait for every batch in flight, so a caller that finds its rows already taken by another
    // flush still returns only once they are written (admin reads, budgets loading spend).
    while (this.#flushing) await this.#flushing;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#flushing = this.#store
      .append(batch)
      .catch((error: unknown) => {
        this.#queue = [...batch, ...this.#queue];
        this.#onFailure(error, batch.length);
      })
      .finally(() => {
        this.#flushing = undefined;
      });
    await this.#flushing;
    if (this.#queue.length > 0 && !this.#timer) this.#timer = setTimeout(() => void this.flush(), this.#intervalMs);
  }

  /** Flushes and stops the timer. */
  async close(): Promise<void> {
    await this.flush();
    if (this.#queue.length > 0) await this.flush();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
