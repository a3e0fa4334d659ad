import type { Logger } from 'pino';
import type { LedgerRow } from '../core/ledger.ts';
import type { Storage } from '../core/stores.ts';
import { InFlightJournal } from './in-flight-journal.ts';
import { FileRowJournal } from './journal.ts';
import { forEachReplayable, recoverJournal, removeJournalFiles, type JournalOwnership } from './recovery.ts';
import { LedgerWriter } from './writer.ts';

/**
 * The ledger writer, with its crash journals next to an SQLite file (ADR 0006, 0008). What the
 * previous process of this journal left (rows it journaled but may not have written, and a row
 * for each request it had in flight) goes through the writer first, so budgets loaded from the
 * ledger include it. A cluster worker takes over its slot's journal (`ownership` undefined); a
 * single process every journal of its instance there is (a cluster's, when the last run had
 * workers), and those of other instances on the database whose process is gone.
 */
export async function openLedger(
  storage: Storage,
  database: string | undefined,
  logger: Logger,
  name: string,
  ownership: JournalOwnership | undefined,
): Promise<{ writer: LedgerWriter; inFlight: InFlightJournal | undefined; cutOff: LedgerRow[] }> {
  const writer = new LedgerWriter(storage.ledger, {
    ...(database ? { journal: new FileRowJournal(database, name) } : {}),
    onFailure: (error, details) =>
      logger.error({ err: error, ...details }, 'ledger write failed; rows stay queued and journaled, and are retried (further failures in the next 10 s are counted, not logged)'),
    onRecovered: (details) => logger.warn(details, 'ledger writes succeed again'),
    onDropped: (details) => logger.error(details, 'ledger rows could not be kept'),
  });
  if (!database) return { writer, inFlight: undefined, cutOff: [] };
  // Rows of requests cut off in flight: no process counted them in its metrics.
  const cutOff: LedgerRow[] = [];
  const replay = async (each: string) => {
    const { rows, cutOff: recovered } = await recoverJournal(database, each, isStoredIn(storage));
    if (rows.length > 0) {
      logger.warn({ journal: each, rows: rows.length, cut_off: recovered }, 'writing ledger rows journaled by a previous run (it ended before writing them; cut_off: requests it had in flight)');
    }
    for (const row of rows) writer.append(row);
    cutOff.push(...rows.slice(rows.length - recovered));
    // Journaled again in this process's own journal: another's files are no longer needed.
    if (each !== name) removeJournalFiles(database, each);
  };
  await replay(name);
  if (ownership) await forEachReplayable(database, ownership, (each) => each !== name, replay);
  const inFlight = new InFlightJournal(database, name, {
    onFailure: (error) => logger.error({ err: error }, 'the journal of requests in flight cannot be written: a crash now would leave them without a row'),
  });
  return { writer, inFlight, cutOff };
}

/** Whether the ledger has a row of this id. */
export function isStoredIn(storage: Storage): (id: string) => Promise<boolean> {
  return async (id) => (await storage.ledger.query({ requestId: id, limit: 1 })).length > 0;
}
