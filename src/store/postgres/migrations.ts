import type { PoolClient } from 'pg';

/**
 * PostgreSQL schema migrations, applied in order at startup and recorded in schema_migrations,
 * so re-running them is a no-op. Never edit a released migration; add the next one.
 *
 * The first is the SQLite schema as its ten migrations left it (../sqlite/migrations.ts), in
 * PostgreSQL's types: times are `timestamptz` (read back as ISO-8601 UTC, as SQLite stores them),
 * lists and objects `json` (the text as written, key order kept, queryable with ->>), flags
 * `boolean`, token counts `bigint`.
 */
export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

export const postgresMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'ledger, keys, teams, runtime providers, audit log, feedback',
    sql: `
      CREATE TABLE ledger (
        id text PRIMARY KEY,
        time timestamptz NOT NULL,
        endpoint text NOT NULL,
        key_id text,
        team text,
        model_requested text,
        route text,
        model text,
        provider text,
        upstream_model text,
        attempts json NOT NULL,
        input_tokens bigint NOT NULL,
        output_tokens bigint NOT NULL,
        cached_input_tokens bigint NOT NULL,
        cache_write_tokens bigint NOT NULL DEFAULT 0,
        reasoning_tokens bigint NOT NULL,
        tokens_estimated boolean NOT NULL,
        cost_usd double precision NOT NULL,
        latency_ms integer NOT NULL,
        ttft_ms integer,
        status text NOT NULL,
        http_status integer NOT NULL,
        error_code text,
        error_message text,
        stream boolean NOT NULL,
        reason text,
        metadata json NOT NULL,
        warnings json NOT NULL,
        guardrails json NOT NULL DEFAULT '[]'
      );
      CREATE INDEX ledger_time ON ledger (time);
      -- Only rows that have a key (or a team) are looked up by it (budgets' spend, /admin/usage).
      CREATE INDEX ledger_key_time ON ledger (key_id, time) WHERE key_id IS NOT NULL;
      CREATE INDEX ledger_team_time ON ledger (team, time) WHERE team IS NOT NULL;

      CREATE TABLE virtual_keys (
        id text PRIMARY KEY,
        name text NOT NULL,
        team text,
        key_hash text NOT NULL UNIQUE,
        key_hint text NOT NULL,
        models json,
        budget_usd double precision,
        budget_period text NOT NULL,
        rpm integer,
        tpm integer,
        model_limits json NOT NULL,
        expires_at timestamptz,
        metadata json NOT NULL,
        guardrails json NOT NULL,
        revoked boolean NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE INDEX virtual_keys_team ON virtual_keys (team);

      CREATE TABLE teams (
        id text PRIMARY KEY,
        name text NOT NULL UNIQUE,
        models json,
        budget_usd double precision,
        budget_period text NOT NULL,
        rpm integer,
        tpm integer,
        model_limits json NOT NULL,
        metadata json NOT NULL,
        guardrails json NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );

      CREATE TABLE runtime_providers (
        id text PRIMARY KEY,
        type text NOT NULL,
        sealed_config text NOT NULL,
        api_key_hint text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );

      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        time timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        target_type text NOT NULL,
        target_id text,
        details json NOT NULL
      );
      CREATE INDEX audit_log_target ON audit_log (target_id, time);

      CREATE TABLE feedback (
        request_id text PRIMARY KEY,
        time timestamptz NOT NULL,
        model text NOT NULL,
        provider text NOT NULL,
        key_id text,
        score double precision NOT NULL
      );
      CREATE INDEX feedback_model ON feedback (model);
    `,
  },
  {
    // The admin API takes any positive safe integer as rpm or tpm (src/server/admin/contract.ts),
    // and SQLite keeps it; `integer` refused past 2,147,483,647 (a 500 on POST /admin/keys with
    // `"tpm": 10000000000`).
    version: 2,
    name: 'rate limits of keys and teams as bigint',
    sql: `
      ALTER TABLE virtual_keys ALTER COLUMN rpm TYPE bigint, ALTER COLUMN tpm TYPE bigint;
      ALTER TABLE teams ALTER COLUMN rpm TYPE bigint, ALTER COLUMN tpm TYPE bigint;
    `,
  },
];

/**
 * A number no other application's advisory lock on the database is likely to use: the migrations'
 * transaction takes it, so that replicas started together apply each migration once (the others
 * wait for it, then find it recorded).
 */
const migrationLock = 0x5b_0a_4d_01;

/** Applies the migrations not yet recorded, in one transaction; returns how many it applied. */
export async function applyPostgresMigrations(client: PoolClient, list: readonly PostgresMigration[] = postgresMigrations): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLock]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)');
    const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((row) => row.version));
    let count = 0;
    for (const migration of list) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [migration.version, migration.name]);
      count += 1;
    }
    await client.query('COMMIT');
    return count;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
