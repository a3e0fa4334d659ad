import { renameSync } from 'node:fs';
import type { LedgerRow } from '../core/ledger.ts';
import { LinkedRing, type RingNode } from '../core/linked-ring.ts';
import { openLineFile, readLines, type LineFile, type LineFileOptions } from './line-file.ts';
import { jsonText } from './row-text.ts';

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
  /** How lines reach the file (src/ledger/line-file.ts; mapped where possible). */
  writes?: LineFileOptions['writes'];
}

/**
 * Requests in flight, in `<db>-<journal>-inflight.jsonl`: a line per request once it is
 * authenticated, written synchronously like the row journal (src/ledger/journal.ts) at the end
 * of the event-loop turn it started in, one append for all the requests of that turn (under
 * load, many; src/ledger/line-file.ts), before any answer from a provider can arrive for them. A finished request's row
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
   * The open requests, in a linked list (src/core/linked-ring.ts): a `Map` by id rebuilt its hash
   * table as requests came and went, what requests moved to the old generation most (77 bytes a
   * request at c=64), and the gateway cost 4.1 µs a request more with it at c=16
   * (docs/performance.md, seventeenth session). An entry's description is read when its line is
   * written (so what the request learnt since its start is in it); `finished` empties it, so that
   * a finished request's record is not kept alive.
   */
  readonly #open = new LinkedRing<InFlightEntry>();
  /** Entries started in this event-loop turn, written at its end. */
  #pending: InFlightEntry[] = [];
  #file: LineFile;
  readonly #writes: LineFileOptions['writes'];
  #lines = 0;
  #failures = 0;

  /** Opens the file empty: the caller has recovered what a previous process left in it. */
  constructor(basePath: string, name = 'ledger', options: InFlightJournalOptions = {}) {
    this.location = inFlightPath(basePath, name);
    this.#compactEvery = options.compactEvery ?? 1024;
    this.#onFailure = options.onFailure;
    this.#writes = options.writes;
    this.#file = openLineFile(this.location, { truncate: true, writes: this.#writes });
  }

  /**
   * A request started; `describe` is read when its line is written, at the end of this turn (or
   * at a rewrite), so a body read in this turn already names the model and whether it streams.
   * The entry returned is what `named` and `finished` take.
   */
  started(describe: () => StartedRequest): InFlightEntry {
    const entry: InFlightEntry = { describe, unnamed: false, previous: undefined, next: undefined };
    this.#open.add(entry);
    if (this.#pending.push(entry) === 1) setImmediate(this.#flush);
    return entry;
  }

  /**
   * The request's model became known (its body was read). If its line went out without it (a
   * body that came in a later turn: a large prompt, a slow client), a line naming it is appended
   * at the end of this turn; the last line of a request is the one recovery reads.
   */
  named(entry: InFlightEntry): void {
    if (entry.describe === undefined || !entry.unnamed) return;
    entry.unnamed = false;
    if (this.#pending.push(entry) === 1) setImmediate(this.#flush);
  }

  /** The request's row is journaled: it no longer needs a row written for it. */
  finished(entry: InFlightEntry): void {
    entry.describe = undefined;
    this.#open.remove(entry);
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
      if (this.#open.size === 0) this.#file.empty();
      else this.#compact();
      this.#file.close();
    } catch (error) {
      this.#fail(error);
    }
  }

  readonly #flush = (): void => {
    const lines: string[] = [];
    for (const entry of this.#pending) if (entry.describe) lines.push(lineOf(entry));
    this.#pending = [];
    if (lines.length === 0) return;
    try {
      this.#file.append(lines.join(''));
      this.#lines += lines.length;
      // Twice the open set at least, so a rewrite's cost is spread over as many new lines.
      if (this.#lines >= Math.max(this.#compactEvery, 2 * this.#open.size)) this.#compact();
    } catch (error) {
      this.#fail(error);
    }
  };

  #compact(): void {
    if (this.#open.size === 0) {
      this.#file.empty();
    } else {
      // Written aside and renamed over, so a kill in between leaves the old (larger) file whole;
      // the file written aside is the one appended to from then on.
      const asidePath = `${this.location}.tmp`;
      const aside = openLineFile(asidePath, { truncate: true, writes: this.#writes });
      try {
        aside.append(Array.from(this.#open, lineOf).join(''));
        renameSync(asidePath, this.location);
      } catch (error) {
        aside.close();
        throw error;
      }
      this.#file.close();
      this.#file = aside;
    }
    this.#lines = this.#open.size;
  }

  #fail(error: unknown): void {
    this.#failures += 1;
    if (this.#failures === 1) this.#onFailure?.(error);
  }
}

/**
 * A request in flight, as `started` returned it: its description (emptied once it finishes),
 * whether its line lacks the model, and its neighbours in the journal's list while it is open.
 */
export interface InFlightEntry extends RingNode<InFlightEntry> {
  describe: (() => StartedRequest) | undefined;
  unnamed: boolean;
}

/** The request's line as it stands now; notes whether it names the model. */
function lineOf(entry: InFlightEntry): string {
  const request = entry.describe!();
  entry.unnamed = request.modelRequested === null || request.modelRequested === undefined;
  return `${startedText(request)}\n`;
}

/**
 * The request's JSON text, as JSON.stringify writes it (src/ledger/row-text.ts says why by hand);
 * the time (toISOString's) and the endpoint are our own words, quoted without the test, as there.
 */
function startedText(request: StartedRequest): string {
  let text = `{"id":${jsonText(request.id)},"time":"${request.time}","endpoint":"${request.endpoint}","keyId":${jsonText(request.keyId)},"team":${jsonText(request.team)}`;
  if (request.modelRequested !== undefined) text += `,"modelRequested":${jsonText(request.modelRequested)}`;
  if (request.route !== undefined) text += `,"route":${jsonText(request.route)}`;
  if (request.stream !== undefined) text += `,"stream":${request.stream ? 'true' : 'false'}`;
  return `${text}}`;
}

export function inFlightPath(basePath: string, name: string): string {
  return `${basePath}-${name}-inflight.jsonl`;
}

/** The requests a previous process listed as started (a line torn by the kill is skipped). */
export function readInFlight(basePath: string, name: string): StartedRequest[] {
  const started = new Map<string, StartedRequest>();
  for (const line of readLines(inFlightPath(basePath, name)) ?? []) {
    try {
      const request = JSON.parse(line) as StartedRequest;
      if (typeof request.id === 'string') started.set(request.id, request);
    } catch {
      // The last line, cut short by the kill.
    }
  }
  return [...started.values()];
}
