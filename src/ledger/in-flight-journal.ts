import { closeSync, ftruncateSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import type { LedgerRow } from '../core/ledger.ts';

/** What a row needs of a request that started and never finished. */
export interface StartedRequest {
  id: string;
  time: string;
  endpoint: LedgerRow['endpoint'];
  keyId: string | null;
  team: string | null;
}

export interface InFlightJournalOptions {
  /** Lines appended before the file is rewritten with only the requests still open. */
  compactEvery?: number;
  /** The first failure to write the file (later ones are counted in `failures`). */
  onFailure?(error: unknown): void;
}

/**
 * Requests in flight, in `<db>-<journal>-inflight.jsonl`: a line per request once it is
 * authenticated, one synchronous `write(2)` like the row journal (src/ledger/journal.ts). A
 * finished request's row is in the row journal before it leaves the open set here, so after
 * the process is killed (kill -9, out of memory, a crash) a request listed here that has a row
 * neither in the row journal nor in the store was cut off in flight: whoever takes the journal
 * over writes it a row (src/ledger/recovery.ts; docs/decisions/0007). Nothing is written when a
 * request finishes; the file is rewritten with the open requests every `compactEvery` lines,
 * and emptied when none is open at that point, so it stays small under any load.
 */
export class InFlightJournal {
  readonly location: string;
  readonly #compactEvery: number;
  readonly #onFailure: ((error: unknown) => void) | undefined;
  readonly #open = new Map<string, string>();
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

  started(request: StartedRequest): void {
    const line = `${JSON.stringify(request)}\n`;
    this.#open.set(request.id, line);
    try {
      writeSync(this.#descriptor, line);
      this.#lines += 1;
      // Twice the open set at least, so a rewrite's cost is spread over as many new lines.
      if (this.#lines >= Math.max(this.#compactEvery, 2 * this.#open.size)) this.#compact();
    } catch (error) {
      this.#fail(error);
    }
  }

  /** The request's row is journaled: it no longer needs a row written for it. */
  finished(id: string): void {
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
    try {
      if (this.#open.size === 0) ftruncateSync(this.#descriptor, 0);
      else this.#compact();
      closeSync(this.#descriptor);
    } catch (error) {
      this.#fail(error);
    }
  }

  #compact(): void {
    if (this.#open.size === 0) {
      ftruncateSync(this.#descriptor, 0);
    } else {
      // Written aside and renamed over, so a kill in between leaves the old (larger) file whole.
      const aside = `${this.location}.tmp`;
      writeFileSync(aside, [...this.#open.values()].join(''));
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
