import { closeSync, ftruncateSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import type { LedgerRow } from '../core/ledger.ts';

/** What a row needs of a request that started and never finished. */
export interface StartedRequest {
  id: string;
  time: string;
  endpoint: LedgerRow['endpoint'];
  keyId: string | null;
  team: string | null;
  /**
   * Known when the body was read before the line was written (most requests: same turn);
   * else a later line of the same request names it (`named`).
   */
  modelRequested?: string | null;
  route?: string | null;
  stream?: boolean;
}

export interface InFlightJournalOptions {
  /** Lines appended before the file is rewritten with only the requests still open. */
  compactEvery?: number;
  /** The first failure to write the file (later ones are counted in `failures`). */
  onFailure?(error: unknown): void;
}

/**
 * Requests in flight, in `<db>-<journal>-inflight.jsonl`: a line per request once it is
 * authenticated, written synchronously like the row journal (src/ledger/journal.ts) at the end
 * of the event-loop turn it started in, one `write(2)` for all the requests of that turn (under
 * load, many), before any answer from a provider can arrive for them. A finished request's row
 * is in the row journal before it leaves the open set here (one finished within its first turn
 * is never written), so after the process is killed (kill -9, out of memory, a crash) a request
 * listed here with a row neither in the row journal nor in the store was cut off in flight:
 * whoever takes the journal over writes it a row (src/ledger/recovery.ts; docs/decisions/0008-workers.md).
 * Nothing is written when a request finishes; the file is rewritten with the open requests every
 * `compactEvery` lines, and emptied when none is open then, so it stays small under any load.
 */
export class InFlightJournal {
  readonly location: string;
  readonly #compactEvery: number;
  readonly #onFailure: ((error: unknown) => void) | undefined;
  /**
   * Each open request's description, read when its line is written (so what the request learnt
   * since its start is in it). In a cell that `finished` empties: a removed entry must not keep
   * its request's record alive (see src/server/shared-signal.ts; measured 0.5 → 0.25 MB moved to
   * the old generation a scavenge at c=16).
   */
  readonly #open = new Map<string, OpenRequest>();
  /** Ids started in this event-loop turn, written at its end. */
  #pending: string[] = [];
  #descriptor: number;
  #lines = 0;
  #failures = 0;

  /** Opens the file empty: the caller has recovered what a previous process left in it. */
  constructor(basePath: string, name = 'ledger', options: InFlightJournalOptions = {}) {
    this.location = inFlightPath(basePath, name);
    this.#compactEvery = options.compactEvery ?? 1024;
    this.#onFailure = options.onFailure;
    this.#descriptor = openSync(this.location, 'w');
  }

  /**
   * A request started; `describe` is read when its line is written, at the end of this turn (or
   * at a rewrite), so a body read in this turn already names the model and whether it streams.
   */
  started(id: string, describe: () => StartedRequest): void {
    this.#open.set(id, { describe, unnamed: false });
    if (this.#pending.push(id) === 1) setImmediate(this.#flush);
  }

  /**
   * The request's model became known (its body was read). If its line went out without it (a
   * body that came in a later turn: a large prompt, a slow client), a line naming it is appended
   * at the end of this turn; the last line of a request is the one recovery reads.
   */
  named(id: string): void {
    const cell = this.#open.get(id);
    if (cell === undefined || !cell.unnamed) return;
    cell.unnamed = false;
    if (this.#pending.push(id) === 1) setImmediate(this.#flush);
  }

  /** The request's row is journaled: it no longer needs a row written for it. */
  finished(id: string): void {
    const cell = this.#open.get(id);
    if (cell === undefined) return;
    cell.describe = undefined;
    this.#open.delete(id);
  }

  get open(): number {
    return this.#open.size;
  }

  get failures(): number {
    return this.#failures;
  }

  /** After the drain: empties the file when nothing is open (else leaves it for the next start). */
  close(): void {
    this.#flush();
    try {
      if (this.#open.size === 0) ftruncateSync(this.#descriptor, 0);
      else this.#compact();
      closeSync(this.#descriptor);
    } catch (error) {
      this.#fail(error);
    }
  }

  readonly #flush = (): void => {
    const lines: string[] = [];
    for (const id of this.#pending) {
      const cell = this.#open.get(id);
      if (cell?.describe) lines.push(lineOf(cell));
    }
    this.#pending = [];
    if (lines.length === 0) return;
    try {
      writeSync(this.#descriptor, lines.join(''));
      this.#lines += lines.length;
      // Twice the open set at least, so a rewrite's cost is spread over as many new lines.
      if (this.#lines >= Math.max(this.#compactEvery, 2 * this.#open.size)) this.#compact();
    } catch (error) {
      this.#fail(error);
    }
  };

  #compact(): void {
    if (this.#open.size === 0) {
      ftruncateSync(this.#descriptor, 0);
    } else {
      // Written aside and renamed over, so a kill in between leaves the old (larger) file whole.
      const aside = `${this.location}.tmp`;
      writeFileSync(aside, [...this.#open.values()].map(lineOf).join(''));
      renameSync(aside, this.location);
      closeSync(this.#descriptor);
      this.#descriptor = openSync(this.location, 'a');
    }
    this.#lines = this.#open.size;
  }

  #fail(error: unknown): void {
    this.#failures += 1;
    if (this.#failures === 1) this.#onFailure?.(error);
  }
}

/** An open request: its description (emptied once it finishes), and whether its line lacks the model. */
interface OpenRequest {
  describe: (() => StartedRequest) | undefined;
  unnamed: boolean;
}

/** The request's line as it stands now; notes whether it names the model. */
function lineOf(cell: OpenRequest): string {
  const request = cell.describe!();
  cell.unnamed = request.modelRequested === null || request.modelRequested === undefined;
  return `${JSON.stringify(request)}\n`;
}

export function inFlightPath(basePath: string, name: string): string {
  return `${basePath}-${name}-inflight.jsonl`;
}

/** The requests a previous process listed as started (a line torn by the kill is skipped). */
export function readInFlight(basePath: string, name: string): StartedRequest[] {
  let text: string;
  try {
    text = readFileSync(inFlightPath(basePath, name), 'utf8');
  } catch {
    return [];
  }
  const started = new Map<string, StartedRequest>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const request = JSON.parse(line) as StartedRequest;
      if (typeof request.id === 'string') started.set(request.id, request);
    } catch {
      // The last line, cut short by the kill.
    }
  }
  return [...started.values()];
}
