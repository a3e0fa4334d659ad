import { closeSync, openSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { errorKinds } from '../core/errors.ts';
import type { LedgerRow } from '../core/ledger.ts';
import { inFlightPath, readInFlight, type StartedRequest } from './in-flight-journal.ts';
import { clearJournal, readJournal } from './journal.ts';

/**
 * Journals left by processes that ended without writing all they owed the ledger: the rows
 * they had finished (src/ledger/journal.ts) and the requests they had in flight
 * (src/ledger/in-flight-journal.ts). Each process has its own journal next to the database:
 * `ledger` for a single process, `ledger-w<slot>` for the worker in a slot of `--workers N`.
 * A process replays its own journal at start; the process that starts first (the single
 * process, or the cluster primary) also replays the journals no running process owns (a slot
 * that no longer exists, or the other mode's). See docs/decisions/0008-workers.md.
 *
 * Several instances on one database file (replicas sharing a volume; a new process started while
 * the old one drains) each have journals of their own: the first instance's names above, the
 * n-th's `ledger-i<n>` and `ledger-i<n>-w<slot>`. Which instance is whose is a lock each holds
 * while it runs (src/store/journal-lock.ts); another instance's journals are replayed only
 * once no process holds its lock.
 */

/** The journal name of a single process (slot undefined) or of a cluster worker's slot, in instance `instance`. */
export function journalName(slot: number | undefined, instance = 1): string {
  const base = instance === 1 ? 'ledger' : `ledger-i${instance}`;
  return slot === undefined ? base : `${base}-w${slot}`;
}

/** The slot of a worker journal name; undefined for a single process's journal. */
export function slotOf(name: string): number | undefined {
  const match = /^ledger(?:-i\d+)?-w(\d+)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** The instance a journal name belongs to (1 for names without `-i<n>`). */
export function instanceOf(name: string): number {
  const match = /^ledger-i(\d+)(?:-w\d+)?$/.exec(name);
  return match ? Number(match[1]) : 1;
}

/** Names of the journals whose files are next to the database. */
export function journalsOnDisk(basePath: string): string[] {
  const prefix = `${basename(basePath)}-`;
  let entries: string[];
  try {
    entries = readdirSync(dirname(basePath));
  } catch {
    return [];
  }
  const names = new Set<string>();
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const match = /^(ledger(?:-i\d+)?(?:-w\d+)?)-(?:a|b|inflight)\.jsonl$/.exec(entry.slice(prefix.length));
    if (match) names.add(match[1]!);
  }
  return [...names].sort();
}

/** The instance locks as recovery uses them (src/store/journal-lock.ts holds them). */
export interface JournalOwnership {
  /** This process's instance. */
  readonly instance: number;
  /** Runs `work` holding another instance's lock when no live process holds it; false when one does. */
  ifUnowned(other: number, work: () => Promise<void>): Promise<boolean>;
}

/**
 * Runs `replay` for each journal on disk this instance may write: its own instance's that `mine`
 * accepts, and every journal of another instance whose lock no live process holds (while holding
 * it, so that two instances starting together do not both replay it). A live instance's journals
 * are left alone.
 */
export async function forEachReplayable(
  basePath: string,
  ownership: JournalOwnership,
  mine: (name: string) => boolean,
  replay: (name: string) => Promise<void>,
): Promise<void> {
  const byInstance = new Map<number, string[]>();
  for (const name of journalsOnDisk(basePath)) {
    const instance = instanceOf(name);
    byInstance.set(instance, [...(byInstance.get(instance) ?? []), name]);
  }
  for (const [instance, names] of byInstance) {
    if (instance === ownership.instance) {
      for (const name of names.filter(mine)) await replay(name);
    } else {
      await ownership.ifUnowned(instance, async () => {
        for (const name of names) await replay(name);
      });
    }
  }
}

/** What a journal owes the ledger. */
export interface Recovered {
  /** Finished rows, then a row for each request cut off in flight. */
  rows: LedgerRow[];
  /** How many of the rows are for requests cut off in flight. */
  cutOff: number;
}

/**
 * Reads a journal: its finished rows, and a row for each request it lists as started that has
 * a row neither there nor in the store (`isStored`).
 */
export async function recoverJournal(basePath: string, name: string, isStored: (id: string) => Promise<boolean>): Promise<Recovered> {
  const finished = readJournal(basePath, name);
  const journaled = new Set(finished.map((row) => row.id));
  const cutOff: LedgerRow[] = [];
  for (const request of readInFlight(basePath, name)) {
    if (journaled.has(request.id) || (await isStored(request.id))) continue;
    cutOff.push(cutOffRow(request));
  }
  return { rows: [...finished, ...cutOff], cutOff: cutOff.length };
}

/** Empties a journal's files, once its rows are in the store or in another journal. */
export function clearJournalFiles(basePath: string, name: string): void {
  clearJournal(basePath, name);
  try {
    closeSync(openSync(inFlightPath(basePath, name), 'w'));
  } catch {
    // Not there: nothing to empty.
  }
}

/** Deletes a journal's files, once its rows are in the store or in another journal (a slot no longer used). */
export function removeJournalFiles(basePath: string, name: string): void {
  for (const suffix of ['a', 'b', 'inflight']) rmSync(`${basePath}-${name}-${suffix}.jsonl`, { force: true });
}

/**
 * The row of a request whose process ended while it was in flight: its caller saw the
 * connection close without an answer. What a provider may have charged for it is unknown (the
 * answer died with the process), so it is recorded at $0; a budget's reservation for it is
 * released (src/cluster/arbiter.ts).
 */
export function cutOffRow(request: StartedRequest): LedgerRow {
  return {
    id: request.id,
    time: request.time,
    endpoint: request.endpoint,
    keyId: request.keyId,
    team: request.team,
    modelRequested: request.modelRequested ?? null,
    route: request.route ?? null,
    model: null,
    provider: null,
    upstreamModel: null,
    attempts: [],
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    tokensEstimated: false,
    costUsd: 0,
    latencyMs: 0,
    ttftMs: null,
    status: 'error',
    httpStatus: errorKinds.SB_ERR_INTERNAL.status,
    errorCode: 'SB_ERR_INTERNAL',
    errorMessage:
      'The Switchboard process serving this request ended (killed or crashed) before answering; the connection was closed without an answer. ' +
      'Any cost a provider charged for it is unknown and recorded as $0.',
    stream: request.stream ?? false,
    reason: null,
    metadata: {},
    warnings: [],
    guardrails: [],
  };
}
