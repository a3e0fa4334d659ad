import { closeSync, openSync } from 'node:fs';
import type { LedgerRow } from '../core/ledger.ts';
import { openLineFile, readLines, type LineFile, type LineFileOptions } from './line-file.ts';

/**
 * Where the writer keeps each finished row until the store has it, so that an answered request
 * survives the process being killed (issue 13, defect 9: kill -9 lost 5-9% of the rows of
 * requests answered in the last 175 ms, and spend rebuilt from the ledger at start came up short).
 */
export interface RowJournal {
  /**
   * Records a row given as its JSON text (src/ledger/row-text.ts: it parses to what
   * `JSON.stringify(row)` would; the writer then hands it to the store as it is); returns the
   * segment it went to. Without `written`, the line is in the file when this returns, and it
   * throws when the file cannot be written. With it, the line is buffered with the others given
   * one until `endTurn`, which writes them all at once and then calls each `written`, with the
   * error if that write failed.
   */
  append(line: string, written?: (error?: unknown) => void): number;
  /**
   * Writes the buffered lines in one append, then calls their `written` callbacks in order
   * (all of them, even if one throws; the first error is thrown after). The writer calls it at
   * the end of each event-loop turn in which lines were buffered.
   */
  endTurn(): void;
  /**
   * Rows of these segments are in the store now: segments with nothing left uncommitted are
   * emptied (the buffered lines written first, their callbacks left to `endTurn`).
   */
  committed(segments: readonly number[]): void;
  /**
   * Starts appending to a segment with nothing uncommitted, when there is one (at each batch),
   * after writing the buffered lines to the segment they were counted in.
   */
  rotate(): void;
  /** Rows still only in the journal. */
  readonly uncommitted: number;
  readonly location: string;
  close(): void;
}

/**
 * A synchronous append-only log of JSON lines in two segments next to the database
 * (`<db>-ledger-a.jsonl`, `<db>-ledger-b.jsonl`; a cluster worker's are named by its slot,
 * `<db>-ledger-w2-a.jsonl`, so that its replacement finds them: docs/decisions/0008-workers.md).
 * Every row is written before its answer is sent: a write to the page cache outlives the process
 * whatever kills it (only a crash of the machine itself could lose it; the database's own WAL
 * makes the same trade with `synchronous = NORMAL`). While other requests are in flight, an answer
 * (a stream's end) waits for the end of its event-loop turn, where the rows of every answer
 * finished in that turn go out in one append: where the file is written rather than mapped
 * (src/ledger/line-file.ts), a `write(2)` to a file on ext4 cost 12-40 µs of a loaded core, a
 * tenth of a request (ADR 0011, sixteenth-session addition). While the writer
 * sends a batch to the store, new rows go to the other segment; a segment is emptied once every
 * row in it is in the store, so the files stay small under any load. At start, rows left in
 * either segment are written to the store before anything reads spend (`recoverJournal`); rows
 * are keyed by request id, so replaying one that did reach the store changes nothing.
 */
export class FileRowJournal implements RowJournal {
  readonly location: string;
  readonly #files: [LineFile, LineFile];
  readonly #pending: [number, number] = [0, 0];
  #active: 0 | 1 = 0;
  /** Lines appended with a `written` callback this turn, for the active segment (rotating writes them first). */
  #buffered = '';
  #bufferedLines = 0;
  /** Callbacks of the lines given one since the last `endTurn`, and the errors of those whose write failed. */
  #written: Array<(error?: unknown) => void> = [];
  #errors: unknown[] = [];

  /** `writes`: how lines reach the files (src/ledger/line-file.ts; mapped where possible). */
  constructor(basePath: string, name = 'ledger', writes: LineFileOptions['writes'] = 'auto') {
    this.location = `${basePath}-${name}-{a,b}.jsonl`;
    const [first, second] = segmentPaths(basePath, name);
    this.#files = [openLineFile(first, { writes }), openLineFile(second, { writes })];
  }

  append(line: string, written?: (error?: unknown) => void): number {
    const segment = this.#active;
    if (written === undefined) {
      // Lines buffered this turn go out with this one, in a single write.
      const buffered = this.#bufferedLines;
      try {
        this.#files[segment].append(buffered > 0 ? this.#takeBuffered(`${line}\n`) : `${line}\n`);
      } catch (error) {
        if (buffered > 0) this.#failed(buffered, error);
        throw error;
      }
      this.#pending[segment] += 1;
      return segment;
    }
    this.#buffered += `${line}\n`;
    this.#bufferedLines += 1;
    this.#pending[segment] += 1;
    this.#written.push(written);
    return segment;
  }

  /** The buffered lines with `tail` after them, as one text; they count as written from here on. */
  #takeBuffered(tail = ''): string {
    const text = this.#buffered + tail;
    this.#buffered = '';
    this.#bufferedLines = 0;
    return text;
  }

  /** Writes the lines buffered this turn, if any. */
  #writeBuffered(): void {
    if (this.#bufferedLines === 0) return;
    const lines = this.#bufferedLines;
    try {
      this.#files[this.#active].append(this.#takeBuffered());
    } catch (error) {
      this.#failed(lines, error);
    }
  }

  /**
   * The last `lines` lines buffered could not be written: their callers get the error. They stay
   * counted as uncommitted until the writer commits their rows, as a line whose immediate write
   * failed does, so that the segment is emptied when its other rows are in the store.
   */
  #failed(lines: number, error: unknown): void {
    const waiting = this.#written.length;
    for (let index = waiting - lines; index < waiting; index += 1) this.#errors[index] = error;
  }

  /**
   * Only here (and at `close`) are callers called: `rotate` and `committed` write the buffered
   * lines, and never run a caller's code inside the writer's own steps.
   */
  endTurn(): void {
    this.#writeBuffered();
    const written = this.#written;
    const errors = this.#errors;
    this.#written = [];
    this.#errors = [];
    let thrown: { error: unknown } | undefined;
    for (let index = 0; index < written.length; index += 1) {
      // Every caller is told even if one throws: each is an answer waiting to be sent.
      try {
        written[index]!(errors[index]);
      } catch (error) {
        thrown ??= { error };
      }
    }
    if (thrown) throw thrown.error;
  }

  committed(segments: readonly number[]): void {
    this.#writeBuffered();
    for (const segment of segments) if (segment === 0 || segment === 1) this.#pending[segment] -= 1;
    for (const segment of [0, 1] as const) {
      if (this.#pending[segment] === 0) this.#files[segment].empty();
    }
  }

  rotate(): void {
    this.#writeBuffered();
    const other = this.#active === 0 ? 1 : 0;
    if (this.#pending[other] === 0) this.#active = other;
  }

  get uncommitted(): number {
    return this.#pending[0] + this.#pending[1];
  }

  /** Writes the buffered lines and tells their callers, then closes the files. */
  close(): void {
    try {
      this.endTurn();
    } finally {
      for (const file of this.#files) file.close();
    }
  }
}

function segmentPaths(basePath: string, name: string): [string, string] {
  return [`${basePath}-${name}-a.jsonl`, `${basePath}-${name}-b.jsonl`];
}

/**
 * Rows a previous process journaled and may not have written to the store. A line cut short by
 * the crash (the last one) is skipped: its request had not been answered yet.
 */
export function readJournal(basePath: string, name = 'ledger'): LedgerRow[] {
  const rows = new Map<string, LedgerRow>();
  for (const path of segmentPaths(basePath, name)) {
    for (const line of readLines(path) ?? []) {
      try {
        const row = JSON.parse(line) as LedgerRow;
        if (typeof row.id === 'string') rows.set(row.id, row);
      } catch {
        // A torn final line: see above.
      }
    }
  }
  return [...rows.values()];
}

/** Empties both segments after their rows reached the store. */
export function clearJournal(basePath: string, name = 'ledger'): void {
  for (const path of segmentPaths(basePath, name)) {
    try {
      closeSync(openSync(path, 'w'));
    } catch {
      // Not there, or not writable: the journal itself will report it when opened.
    }
  }
}
