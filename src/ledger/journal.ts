import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { LedgerRow } from '../core/ledger.ts';

/**
 * Where the writer keeps each finished row until the store has it, so that an answered request
 * survives the process being killed (issue 13, defect 9: kill -9 lost 5-9% of the rows of
 * requests answered in the last 175 ms, and spend rebuilt from the ledger at start came up short).
 */
export interface RowJournal {
  /**
   * Records a row given as its JSON text (`JSON.stringify(row)`, which the writer then hands to
   * the store as it is); returns the segment it went to. Throws when the file cannot be written.
   */
  append(line: string): number;
  /** Rows of these segments are in the store now: segments with nothing left uncommitted are emptied. */
  committed(segments: readonly number[]): void;
  /** Starts appending to a segment with nothing uncommitted, when there is one (at each batch). */
  rotate(): void;
  /** Rows still only in the journal. */
  readonly uncommitted: number;
  readonly location: string;
  close(): void;
}

/**
 * A synchronous append-only log of JSON lines in two segments next to the database
 * (`<db>-ledger-a.jsonl`, `<db>-ledger-b.jsonl`; a cluster worker's are named by its slot,
 * `<db>-ledger-w2-a.jsonl`, so that its replacement finds them: docs/decisions/0008-workers.md). One
 * `write(2)` per row, before the answer is sent: a write to the page cache takes microseconds and outlives the process whatever kills it
 * (only a crash of the machine itself could lose it; the database's own WAL makes the same trade
 * with `synchronous = NORMAL`). While the writer sends a batch to the store, new rows go to the
 * other segment; a segment is emptied once every row in it is in the store, so the files stay
 * small under any load. At start, rows left in either segment are written to the store before
 * anything reads spend (`recoverJournal`); rows are keyed by request id, so replaying one that
 * did reach the store changes nothing.
 */
export class FileRowJournal implements RowJournal {
  readonly location: string;
  readonly #descriptors: [number, number];
  readonly #pending: [number, number] = [0, 0];
  #active: 0 | 1 = 0;

  constructor(basePath: string, name = 'ledger') {
    this.location = `${basePath}-${name}-{a,b}.jsonl`;
    const [first, second] = segmentPaths(basePath, name);
    this.#descriptors = [openSync(first, 'a'), openSync(second, 'a')];
  }

  append(line: string): number {
    const segment = this.#active;
    writeSync(this.#descriptors[segment], `${line}\n`);
    this.#pending[segment] += 1;
    return segment;
  }

  committed(segments: readonly number[]): void {
    for (const segment of segments) if (segment === 0 || segment === 1) this.#pending[segment] -= 1;
    for (const segment of [0, 1] as const) {
      if (this.#pending[segment] === 0) ftruncateSync(this.#descriptors[segment], 0);
    }
  }

  rotate(): void {
    const other = this.#active === 0 ? 1 : 0;
    if (this.#pending[other] === 0) this.#active = other;
  }

  get uncommitted(): number {
    return this.#pending[0] + this.#pending[1];
  }

  close(): void {
    for (const descriptor of this.#descriptors) closeSync(descriptor);
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
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (line === '') continue;
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
