import type { LedgerRow } from '../core/ledger.ts';
import type { LedgerStore } from '../core/stores.ts';
import type { RowJournal } from './journal.ts';
import { rowText } from './row-text.ts';

/** What the writer reports; the gateway logs it (at most once per `reportEveryMs` for failures). */
export interface WriterReports {
  /** Batches failed since the last report (`suppressed` of them not reported one by one). */
  onFailure(error: unknown, details: { rows: number; queued: number; suppressed: number }): void;
  /** A batch succeeded after failures. */
  onRecovered?(details: { queued: number; failures: number }): void;
  /** Rows that could be kept nowhere (queue full and journal failing), counted and reported. */
  onDropped?(details: { dropped: number; reason: string }): void;
}

/** Counters for /metrics and readiness. */
export interface WriterStats {
  queued: number;
  /** Rows kept only in the journal (queue full, or finished after close): written at the next start. */
  journalOnly: number;
  writeFailures: number;
  journalFailures: number;
  dropped: number;
  /** The last batch failed and none has succeeded since. */
  failing: boolean;
  lastError: string | null;
}

export interface LedgerWriterOptions extends WriterReports {
  batchSize?: number;
  intervalMs?: number;
  /** Rows kept in memory at most while the store fails; past it, rows live in the journal only. */
  maxQueued?: number;
  /** Failures are logged at most this often; the rest are counted. */
  reportEveryMs?: number;
  journal?: RowJournal;
}

interface QueuedRow {
  row: LedgerRow;
  /** The journal's line, kept when the store takes rows serialised. */
  line: string | undefined;
  /** Entries in the row's lists when it was serialised (see `entriesOf`). */
  entries: number;
  /** Journal segment holding it, or -1 when it is only in memory. */
  segment: number;
  /** Its line, written at the end of its turn (`append` with `journaled`), could not be. */
  journalFailed: boolean;
}

/**
 * Writes ledger rows off the request path: each row is serialised once and journaled
 * synchronously (so it outlives a crash; src/ledger/journal.ts), queued in memory, and sent to
 * the store in batches (every `intervalMs`, or once the turn ends when `batchSize` are waiting): as the
 * journal's text to a store with `appendSerialized` (SQLite's writer thread:
 * docs/decisions/0011-ledger-write-path.md), as objects to another. A failed batch stays queued and is
 * retried with the next one, the failure is counted and logged at a bounded rate, and the writer
 * reports itself failing until a batch succeeds (readiness; issue 13, defect 10). Nothing is
 * dropped silently: past `maxQueued` a row stays only in the journal, and a row that can be
 * kept nowhere is counted and reported.
 */
export class LedgerWriter {
  readonly #store: LedgerStore;
  readonly #batchSize: number;
  readonly #intervalMs: number;
  readonly #maxQueued: number;
  readonly #reportEveryMs: number;
  readonly #reports: WriterReports;
  readonly #journal: RowJournal | undefined;
  #queue: QueuedRow[] = [];
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #flushing: Promise<void> | undefined;
  #closed = false;
  #failing = false;
  #lastError: string | null = null;
  #writeFailures = 0;
  #journalFailures = 0;
  #dropped = 0;
  #journalOnly = 0;
  #failuresSinceRecovery = 0;
  #lastReportAt = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(store: LedgerStore, options: LedgerWriterOptions) {
    this.#store = store;
    this.#batchSize = options.batchSize ?? 50;
    this.#intervalMs = options.intervalMs ?? 250;
    this.#maxQueued = options.maxQueued ?? 100_000;
    this.#reportEveryMs = options.reportEveryMs ?? 10_000;
    this.#reports = options;
    this.#journal = options.journal;
  }

  /**
   * Journals and queues a row; never waits. After `close`, rows are counted as dropped and reported.
   * Without `journaled` the row is in the journal when this returns. With it, its line is written
   * at the end of this event-loop turn with those of the turn's other answers, in one `write(2)`
   * (src/ledger/journal.ts), and `journaled` runs then: the caller sends its answer from there.
   * It runs even if that write failed (counted and reported, as an immediate one is), and at once
   * without a journal, or when the row goes to the journal only (closed, or the queue full).
   */
  append(row: LedgerRow, journaled?: () => void): void {
    const keep = !this.#closed && this.#queue.length < this.#maxQueued;
    const entry: QueuedRow = { row, line: undefined, entries: 0, segment: -1, journalFailed: false };
    // Whether `journaled` was handed to the journal, to run at the end of the turn.
    let handed = false;
    if (this.#journal) {
      try {
        // The one serialisation of the row on the request thread (none without a journal): a
        // store that takes serialised rows is given that text at batch time, another the object.
        const text = rowText(row);
        if (this.#store.appendSerialized) {
          entry.line = text;
          entry.entries = entriesOf(row);
        }
        if (keep && journaled !== undefined) {
          const answer = journaled;
          entry.segment = this.#journal.append(text, (error) => this.#journaled(entry, error, answer));
          handed = true;
          this.#endTurnSoon();
        } else {
          entry.segment = this.#journal.append(text);
        }
      } catch (error) {
        this.#journalFailed(error);
      }
    }
    if (!keep) {
      if (entry.segment >= 0) this.#journalOnly += 1;
      else this.#drop(1, this.#closed ? 'the ledger was closed and the journal could not be written' : 'the queue is full and the journal could not be written');
    } else {
      this.#queue.push(entry);
      // A full batch is written once this turn ends, never inside it: `append` runs while a request
      // finishes, and an inline insert of the whole batch (SQLite without a writer thread: 15-20 µs
      // a row) held that request's answer back by milliseconds (the p99 of `npm run bench` at c=1).
      if (this.#queue.length >= this.#batchSize) this.#endTurnSoon();
      else this.#timer ??= setTimeout(() => void this.flush(), this.#intervalMs);
    }
    if (!handed) journaled?.();
  }

  /** A row's line written at the end of its turn, or not: counted as an immediate write's failure is, then its answer goes. */
  #journaled(entry: QueuedRow, error: unknown, answer: () => void): void {
    if (error !== undefined) {
      entry.journalFailed = true;
      this.#journalFailed(error);
    }
    answer();
  }

  /** A row's journal line could not be written: counted, and reported at a bounded rate. */
  #journalFailed(error: unknown): void {
    this.#journalFailures += 1;
    this.#fail(error, 1);
  }

  /**
   * Once this event-loop turn ends: the journal writes the lines of the turn's answers and they
   * go out; then, when a batch is full, it goes to the store (an insert on the loop, without a
   * writer thread, comes after the answers it would otherwise hold back).
   */
  #endTurnSoon(): void {
    this.#immediate ??= setImmediate(this.#endTurn);
  }

  readonly #endTurn = (): void => {
    this.#immediate = undefined;
    try {
      this.#journal?.endTurn();
    } finally {
      if (this.#queue.length >= this.#batchSize) void this.flush();
    }
  };

  /** Rows waiting to be written. */
  get pending(): number {
    return this.#queue.length;
  }

  /** False while the store fails or rows no longer fit in memory (readiness). */
  get healthy(): boolean {
    return !this.#failing && !this.full;
  }

  /** No room left in memory for another row: new requests are refused until the store recovers. */
  get full(): boolean {
    return this.#queue.length >= this.#maxQueued;
  }

  /** Where rows are journaled (for messages), if anywhere. */
  get journalLocation(): string | undefined {
    return this.#journal?.location;
  }

  stats(): WriterStats {
    return {
      queued: this.#queue.length,
      journalOnly: this.#journalOnly,
      writeFailures: this.#writeFailures,
      journalFailures: this.#journalFailures,
      dropped: this.#dropped,
      failing: this.#failing,
      lastError: this.#lastError,
    };
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
    this.#journal?.rotate();
    this.#flushing = this.#write(batch)
      .then(
        () => this.#succeeded(batch),
        (error: unknown) => {
          this.#queue = [...batch, ...this.#queue];
          this.#writeFailures += 1;
          this.#fail(error, batch.length);
        },
      )
      .finally(() => {
        this.#flushing = undefined;
      });
    await this.#flushing;
    if (this.#queue.length > 0 && !this.#timer && !this.#closed) this.#timer = setTimeout(() => void this.flush(), this.#intervalMs);
  }

  /**
   * Flushes, retrying a failing store until `deadlineMs`; then stops. Rows still unwritten stay
   * in the journal for the next start; without a journal they are reported as dropped.
   * Resolves with the number of rows left unwritten.
   */
  async close(deadlineMs = 5_000): Promise<number> {
    const deadline = performance.now() + deadlineMs;
    await this.flush();
    while (this.#queue.length > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.#intervalMs, 500)));
      await this.flush();
    }
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    const left = this.#queue.length;
    try {
      // First: it writes the lines of this turn and tells their callers, failures included.
      this.#journal?.close();
    } catch {
      // Closing a descriptor that failed to write already: nothing more to lose.
    }
    const unjournaled = this.#queue.filter((entry) => entry.segment < 0 || entry.journalFailed).length;
    this.#queue = [];
    if (unjournaled > 0) this.#drop(unjournaled, 'the store could not be written before shutdown and the journal could not be written');
    return left;
  }

  /** Rows in the form the store takes: the journal's text unless the row grew since it was written. */
  async #write(batch: readonly QueuedRow[]): Promise<void> {
    if (!this.#store.appendSerialized) return this.#store.append(batch.map((entry) => entry.row));
    return this.#store.appendSerialized(batch.map((entry) => (entry.line !== undefined && entriesOf(entry.row) === entry.entries ? entry.line : rowText(entry.row))));
  }

  #succeeded(batch: readonly QueuedRow[]): void {
    try {
      this.#journal?.committed(batch.map((entry) => entry.segment));
    } catch (error) {
      this.#journalFailures += 1;
      this.#fail(error, 0);
    }
    if (this.#failing) {
      this.#failing = false;
      this.#reports.onRecovered?.({ queued: this.#queue.length, failures: this.#failuresSinceRecovery });
      this.#failuresSinceRecovery = 0;
      this.#lastReportAt = Number.NEGATIVE_INFINITY;
    }
  }

  /** Marks the writer failing and reports at a bounded rate (a full disk must not flood the log). */
  #fail(error: unknown, rows: number): void {
    this.#failing = true;
    this.#failuresSinceRecovery += 1;
    this.#lastError = error instanceof Error ? error.message : String(error);
    const now = performance.now();
    if (now - this.#lastReportAt < this.#reportEveryMs) {
      this.#suppressed += 1;
      return;
    }
    this.#lastReportAt = now;
    this.#reports.onFailure(error, { rows, queued: this.#queue.length, suppressed: this.#suppressed });
    this.#suppressed = 0;
  }

  #drop(rows: number, reason: string): void {
    this.#dropped += rows;
    this.#reports.onDropped?.({ dropped: rows, reason });
  }
}

/**
 * How many entries a row's lists hold. A row's lists are its request's own, and one can grow
 * after the row is finished: a hedged request's losing attempt is recorded once its abort lands,
 * after the answer (src/router/execute.ts, `#hedged`). Such a row is serialised again at batch
 * time, so the store has the attempt, as it did when it was given the objects; the journal keeps
 * the row as it was when the answer was sent.
 */
function entriesOf(row: LedgerRow): number {
  return row.attempts.length + row.warnings.length + row.guardrails.length;
}
