import { userInfo } from 'node:os';
import type { Pool, PoolConfig } from 'pg';
import { describeStorageUrl } from '../../config/storage-url.ts';
import type { Storage } from '../../core/stores.ts';
import { createPostgresKeyStore, createPostgresTeamStore } from './keys.ts';
import { createPostgresLedgerStore } from './ledger.ts';
import { guardedDatabase } from './database.ts';
import { applyPostgresMigrations } from './migrations.ts';
import { createPostgresAuditStore, createPostgresFeedbackStore, createPostgresProviderStore } from './records.ts';

export interface PostgresStorageOptions {
  /**
   * Connections a process keeps at most (`storage.max_connections`, default 5): one ledger batch
   * at a time, key lookups every 30 s a key, admin reads. With `--workers N` each of the N + 1
   * processes has its own pool; PostgreSQL allows 100 connections unless told otherwise.
   */
  maxConnections?: number;
  /**
   * How long a query may wait for its answer (default 60 s) before it fails and its connection is
   * dropped. Without it, a server that vanishes without closing its connections (a host powered
   * off, a failover moving an address, a firewall dropping packets) left a query waiting for good:
   * the ledger writer's batch, and so every batch after it and the SIGTERM drain.
   */
  queryTimeoutMillis?: number;
  /** Told of an error on an idle connection (the server restarted, the network dropped it). */
  onConnectionError?(error: Error): void;
  /** Told when the migrations applied something, with how many and how long they took. */
  onMigrated?(count: number, ms: number): void;
}

/**
 * The PostgreSQL backend (`storage.url: postgres://…`, ../shared/SPEC.md "Configuration"),
 * through node-postgres' pool (docs/decisions/0023-postgresql-storage.md). Every store is
 * asynchronous by nature here, so nothing of SQLite's write path (a writer thread, the WAL
 * flusher) is needed: a ledger batch is one statement sent off the event loop's back.
 *
 * Replicas may share the database: migrations run under an advisory lock, rows are written by
 * id (a row replayed twice is written once), and keys, teams and runtime providers are read from
 * it. What they do not share yet (rate-limit windows, the routing state) is in
 * docs/operations.md "Several replicas".
 */
export async function openPostgresStorage(url: string, options: PostgresStorageOptions = {}): Promise<Storage> {
  const { default: pg } = await import('pg');
  const config: PoolConfig = {
    connectionString: withLoginUser(url),
    max: options.maxConnections ?? 5,
    // A database that does not answer fails the start (and readiness) in seconds, not never.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    query_timeout: options.queryTimeoutMillis ?? 60_000,
    // TCP keepalives find a connection whose server is gone while it waits or idles.
    keepAlive: true,
    application_name: 'switchboard',
  };
  const pool: Pool = new pg.Pool(config);
  // Without a listener an idle connection's error (the server restarted) ends the process.
  pool.on('error', (error) => options.onConnectionError?.(error));
  try {
    const client = await pool.connect();
    try {
      const started = performance.now();
      const count = await applyPostgresMigrations(client);
      if (count > 0) options.onMigrated?.(count, Math.round(performance.now() - started));
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(`storage.url: cannot open the PostgreSQL database ${describeStorageUrl(url)}: ${(error as Error).message}`);
  }
  const database = guardedDatabase(pool);
  return {
    kind: 'postgres',
    ledger: createPostgresLedgerStore(database),
    keys: createPostgresKeyStore(database),
    teams: createPostgresTeamStore(database),
    providers: createPostgresProviderStore(database),
    audit: createPostgresAuditStore(database),
    feedback: createPostgresFeedbackStore(database),
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
}

/**
 * The URL with a user: libpq (psql) connects as the login's name when neither the URL nor PGUSER
 * names one; node-postgres reads only $USER, which services and containers often lack ("no
 * PostgreSQL user name specified in startup packet"), and a connection string's empty user wins
 * over a `user` option, so the name goes into the URL. Nothing else is added to it: no startup
 * `options` (PgBouncer refuses them unless told to ignore them); times are sent with their zone
 * (./values.ts `utcTime`).
 */
function withLoginUser(url: string): string {
  if (!URL.canParse(url) || process.env.PGUSER || process.env.USER) return url;
  const parsed = new URL(url);
  if (parsed.username) return url;
  try {
    parsed.username = encodeURIComponent(userInfo().username);
  } catch {
    // A container user with no account entry: the driver's own default, as before.
    return url;
  }
  return parsed.href;
}
