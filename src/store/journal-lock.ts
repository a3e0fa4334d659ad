import type BetterSqlite3 from 'better-sqlite3';
import { Database } from './sqlite/driver.ts';

/**
 * Which Switchboard instance owns which ledger journals at one journal location (next to an
 * SQLite file, or in SWITCHBOARD_JOURNAL_DIR for PostgreSQL: ./journal-location.ts), held with
 * SQLite's file locks whatever the backend. An instance
 * is a single `serve` process or a cluster's primary with its workers; several run on one file
 * when replicas share a volume, or when a new process starts while the old one drains. Each holds
 * an exclusive SQLite lock on a lock file of its own, `<db>-ledger.lock` for the first and
 * `<db>-ledger-i<n>.lock` for the n-th, for as long as it runs: the kernel releases it when the
 * process ends in any way (kill -9 included), and it is seen across containers sharing the volume,
 * where pids and abstract sockets are not. Before these locks every instance used the same
 * journal files: one truncated the in-flight journal the other had listed its requests in, and
 * rewrote it by renaming a new file over it, so after a `kill -9` the killed one's requests got no
 * row; and one starting replayed a live one's journal, writing "ended before answering" rows for
 * requests still being answered (docs/operations.md "Several replicas").
 */
export interface JournalLocks {
  /** This instance's number: 1 unless another live instance holds that one. */
  readonly instance: number;
  /**
   * Runs `work` while holding instance `other`'s lock, when no live process holds it (its owner
   * ended and left its journals for someone to write); false, without running it, when one does.
   */
  ifUnowned(other: number, work: () => Promise<void>): Promise<boolean>;
  /** Lets go of this instance's lock (the process ends anyway; tests and clean closes). */
  release(): void;
}

/** The most instances looked at; past it the start fails rather than scan for ever. */
const maximumInstances = 1_000;

/** Claims the first instance number no live process holds for the database at `databasePath`. */
export function claimJournalLocks(databasePath: string): JournalLocks {
  for (let instance = 1; instance <= maximumInstances; instance += 1) {
    const held = tryLock(lockPath(databasePath, instance));
    if (!held) continue;
    return {
      instance,
      async ifUnowned(other, work) {
        if (other === instance) throw new Error(`instance ${other} is this one`);
        const lock = tryLock(lockPath(databasePath, other));
        if (!lock) return false;
        try {
          await work();
        } finally {
          lock.close();
        }
        return true;
      },
      release() {
        if (held.open) held.close();
      },
    };
  }
  throw new Error(`storage.url: ${maximumInstances} Switchboard instances already use the database ${databasePath}`);
}

/** The lock file of an instance; the first's name has no number, like its journal's. */
export function lockPath(databasePath: string, instance: number): string {
  return instance === 1 ? `${databasePath}-ledger.lock` : `${databasePath}-ledger-i${instance}.lock`;
}

/**
 * An open connection holding the file's exclusive lock, or undefined when another process (or
 * another connection of this one) holds it. `timeout: 0`: a held lock answers SQLITE_BUSY at once.
 */
function tryLock(path: string): BetterSqlite3.Database | undefined {
  const connection = new Database(path, { timeout: 0 });
  try {
    // No rollback journal: nothing is ever written, and none is left next to the database.
    connection.pragma('journal_mode = OFF');
    connection.exec('BEGIN EXCLUSIVE');
    return connection;
  } catch (error) {
    connection.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return undefined;
    throw error;
  }
}
