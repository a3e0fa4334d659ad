import { access, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { openConnection } from './driver.ts';
import { maxRowsRead, type LedgerQuery, type LedgerStore, type Storage } from '../../core/stores.ts';
import { createAuditStore } from './audit.ts';
import { createFeedbackStore } from './feedback.ts';
import { createKeyStore, createTeamStore } from './keys.ts';
import { fromRecord, prepareLedgerInsert, type LedgerRecord } from './ledger-rows.ts';
import { LedgerThread } from './ledger-thread.ts';
import { createLedgerTotals } from './ledger-totals.ts';
import { migrations, type Migration } from './migrations.ts';
import { createProviderCredentialStore } from './providers.ts';
import { WalFlusher } from './wal-flusher.ts';
import { whereClause } from './where-clause.ts';

export interface SqliteStorageOptions {
  /**
   * Write the ledger writer's batches (`ledger.appendSerialized`) from a worker thread with its
   * own connection, off the event loop (./ledger-thread.ts). Not for `:memory:`, which a second
   * connection cannot open.
   */
  ledgerThread?: boolean;
  /**
   * Told before and after each migration applied to a database that already had a schema: a
   * migration that rebuilds an index over a large ledger takes seconds (about 1 s a million
   * rows for migration 9), and the start says why it waits.
   */
  onMigration?(step: MigrationStep): void;
}

/** A migration applied to an existing database: `ms` is set once it is done. */
export interface MigrationStep {
  version: number;
  name: string;
  /** Rows in the ledger when it started, which is what its time grows with. */
  ledgerRows: number;
  ms?: number;
  /** Set at its end when another process (a replica started beside this one) applied it first. */
  byAnother?: boolean;
}

/**
 * The embedded default backend. better-sqlite3 is synchronous; ledger rows go through the
 * ledger writer's batches (one transaction per batch, in a thread of their own with
 * `ledgerThread`) and WAL mode keeps readers from blocking it. See docs/decisions/0002-libraries.md
 * and 0011-ledger-write-path.md.
 */
export async function openSqliteStorage(path: string, options: SqliteStorageOptions = {}): Promise<Storage & { database: BetterSqlite3.Database }> {
  if (path !== ':memory:') await mkdir(dirname(path), { recursive: true });
  const database = openConnection(path);
  if (path !== ':memory:') assertWritable(database, path);
  applyMigrations(database, migrations, options.onMigration);
  // Made once the schema is in place (its thread, which starts with the first batch, opens a
  // connection that does not migrate).
  const thread = options.ledgerThread && path !== ':memory:' ? new LedgerThread(path) : undefined;
  // Without a thread, ledger batches commit on the event loop, and so do the checkpoints inside
  // them: their log is flushed ahead, off the loop (./wal-flusher.ts). The thread's connection
  // checkpoints beside the loop already.
  const walFlusher = !thread && path !== ':memory:' ? new WalFlusher(`${path}-wal`) : undefined;
  return {
    kind: 'sqlite',
    database,
    ledger: createLedgerStore(database, thread, walFlusher),
    keys: createKeyStore(database),
    teams: createTeamStore(database),
    providers: createProviderCredentialStore(database),
    audit: createAuditStore(database),
    feedback: createFeedbackStore(database),
    async ping() {
      database.prepare('SELECT 1').get();
      // The open descriptor keeps answering after the file (or its folder) is deleted, while
      // everything written from then on is lost at the next start: not ready.
      if (path !== ':memory:') {
        await access(path).catch(() => {
          throw new Error('the database file no longer exists (deleted or moved while running): what is written now is lost at the next start');
        });
      }
    },
    async close() {
      await thread?.close();
      await walFlusher?.close();
      database.close();
    },
  };
}

/**
 * Refuses a database SQLite could open for reading only (file or folder permissions): it opens
 * such a file read-only without a word, and the gateway then served requests whose ledger rows
 * could never be written. Writing the header's user_version with its own value is the probe.
 */
export function assertWritable(database: BetterSqlite3.Database, path: string): void {
  try {
    const version = database.pragma('user_version', { simple: true }) as number;
    database.pragma(`user_version = ${version}`);
  } catch (error) {
    database.close();
    throw new Error(`storage.url: the database file ${path} can only be read (${(error as Error).message}); Switchboard writes its ledger there: check the permissions of the file and its folder`);
  }
}

/**
 * Applies the migrations not yet recorded; safe to call on every start, and from several
 * processes at once. `report` hears of each one applied to a database that had a schema already
 * (a new database's are instant).
 *
 * Each migration runs in a `BEGIN IMMEDIATE` transaction (the database's write lock, taken before
 * anything is read) that checks again whether it is recorded: replicas started together on one
 * database file (a deployment scaled to 3, all processes of a host restarted after an upgrade)
 * all found the same migrations pending, and every one but the first stopped with "table ledger
 * already exists" (docs/operations.md "Several replicas").
 */
export function applyMigrations(database: BetterSqlite3.Database, list: readonly Migration[], report?: (step: MigrationStep) => void): number {
  database.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const recorded = database.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  const applied = new Set(
    (database.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((row) => row.version),
  );
  const pending = list.filter((migration) => !applied.has(migration.version));
  const rows = report !== undefined && applied.size > 0 && pending.length > 0 ? ledgerRows(database) : undefined;
  let count = 0;
  for (const migration of pending) {
    const step = rows === undefined ? undefined : { version: migration.version, name: migration.name, ledgerRows: rows };
    // Said before the write lock is asked for (the report runs no code of ours under it).
    if (step) report!(step);
    const started = performance.now();
    const ran = withWriteLock(database, () => {
      if (recorded.get(migration.version) !== undefined) return false;
      database.exec(migration.sql);
      migration.apply?.(database);
      database
        .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
        .run(migration.version, migration.name, new Date().toISOString());
      return true;
    });
    // A replica that found it done says so, so that every "migrating" line has its end.
    if (step) report!({ ...step, ms: Math.round(performance.now() - started), ...(ran ? {} : { byAnother: true }) });
    if (ran) count += 1;
  }
  return count;
}

/** How long a start waits for another process's migration (one rebuilds indexes for seconds). */
const migrationLockWaitMs = 120_000;

/**
 * Runs `work` in an immediate transaction, waiting past the connection's 5 s busy_timeout while
 * another process holds the write lock: migration 9 takes about 1 s a million ledger rows, and a
 * replica started beside the one running it would otherwise fail to start with SQLITE_BUSY.
 */
function withWriteLock<T>(database: BetterSqlite3.Database, work: () => T): T {
  const deadline = Date.now() + migrationLockWaitMs;
  for (;;) {
    try {
      return database.transaction(work).immediate();
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
    }
  }
}

/** The ledger's row count (0 before migration 1 made the table). */
function ledgerRows(database: BetterSqlite3.Database): number {
  const table = database.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger'`).get();
  return table === undefined ? 0 : (database.prepare('SELECT COUNT(*) AS count FROM ledger').get() as { count: number }).count;
}

function createLedgerStore(database: BetterSqlite3.Database, thread: LedgerThread | undefined, walFlusher: WalFlusher | undefined): LedgerStore {
  const insert = prepareLedgerInsert(database);
  return {
    ...createLedgerTotals(database),
    async append(rows) {
      insert.rows(rows);
      walFlusher?.written();
    },
    // Only with a thread: without one, rows given as objects skip a serialisation round trip.
    ...(thread ? { appendSerialized: (lines: readonly string[]) => thread.write(lines) } : {}),
    async query(query: LedgerQuery) {
      const { where, parameters } = whereClause([
        ['id = @requestId', 'requestId', query.requestId],
        ['key_id = @keyId', 'keyId', query.keyId],
        ['team = @team', 'team', query.team],
        ['(model = @model OR model_requested = @model)', 'model', query.model],
        ['time >= @from', 'from', query.from],
        ['time < @to', 'to', query.to],
      ]);
      const limit = Math.min(Math.max(query.limit ?? 100, 1), maxRowsRead);
      const offset = Math.max(query.offset ?? 0, 0);
      // Ordered by id within one time too, so that pages (`offset`) neither repeat nor skip a row.
      const rows = database.prepare(`SELECT * FROM ledger ${where} ORDER BY time DESC, id DESC LIMIT @limit OFFSET @offset`).all({ ...parameters, limit, offset }) as LedgerRecord[];
      return rows.map(fromRecord);
    },
  };
}
