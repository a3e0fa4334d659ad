import type { Logger } from 'pino';
import { isPostgresUrl, storageUrlProblem } from '../config/storage-url.ts';
import type { Storage } from '../core/stores.ts';
import type { PostgresStorageOptions } from './postgres/index.ts';
import { openSqliteStorage, type MigrationStep, type SqliteStorageOptions } from './sqlite/index.ts';

/**
 * Opens the backend a `storage.url` names: `sqlite://path` (default), `:memory:` or
 * `postgres://…`. A process serving requests asks SQLite for `ledgerThread` (ledger batches
 * written beside the event loop). Config validation refuses other URLs already
 * (src/config/storage-url.ts); this check is for callers that did not validate one. The
 * PostgreSQL driver is loaded only when a URL names it.
 */
export async function openStorage(url: string, options: SqliteStorageOptions & PostgresStorageOptions = {}): Promise<Storage> {
  const problem = storageUrlProblem(url);
  if (problem) throw new Error(`storage.url: ${problem}`);
  if (isPostgresUrl(url)) {
    const { openPostgresStorage } = await import('./postgres/index.ts');
    return openPostgresStorage(url, options);
  }
  if (url === ':memory:' || url === 'sqlite://:memory:') return openSqliteStorage(':memory:', options);
  return openSqliteStorage(url.slice('sqlite://'.length), options);
}

/**
 * Whether a process writes its ledger batches in a thread of its own: only when the machine has
 * a core the processes serving the port leave free (`cores`: `availableParallelism()`, which
 * counts the affinity mask). On one core the thread costs more CPU than it frees; with a worker
 * per core (`--workers N`'s default) each worker's thread found no core free either, and cost
 * 14-16 MB of RSS a worker on Node 24.21 (7-10 on Node 20.20) for no throughput (ADR 0011,
 * twentieth-session addition).
 */
export function wantsLedgerThread(cores: number, processes: number): boolean {
  return cores > processes;
}

/** Logs each migration applied to an existing database, before (with the ledger's size) and after. */
export function logMigrations(logger: Pick<Logger, 'info'>): (step: MigrationStep) => void {
  return (step) => {
    if (step.ms === undefined) logger.info({ version: step.version, ledger_rows: step.ledgerRows }, `migrating the database: ${step.name}`);
    else if (step.byAnother) logger.info({ version: step.version, ms: step.ms }, `the database was migrated by another process: ${step.name}`);
    else logger.info({ version: step.version, ms: step.ms }, `migrated the database: ${step.name}`);
  };
}

/** What a gateway process tells its log about its storage: migrations, and lost PostgreSQL connections. */
export function storageLogging(logger: Pick<Logger, 'info' | 'warn'>): SqliteStorageOptions & PostgresStorageOptions {
  return {
    onMigration: logMigrations(logger),
    onMigrated: (count, ms) => logger.info({ migrations: count, ms }, 'migrated the PostgreSQL database'),
    // The pool replaces the connection at the next query; a query that fails meanwhile is the
    // ledger writer's to retry (its rows stay queued and journaled).
    onConnectionError: (error) => logger.warn({ err: error }, 'a PostgreSQL connection was lost; the pool opens another'),
  };
}

/** What the config sets of a backend's resources: PostgreSQL's connections a process. */
export function storageLimits(config: { storage: { max_connections?: number | undefined } }): PostgresStorageOptions {
  return config.storage.max_connections === undefined ? {} : { maxConnections: config.storage.max_connections };
}
