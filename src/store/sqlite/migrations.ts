/**
 * SQLite schema migrations, applied in order at startup inside one transaction each and
 * recorded in schema_migrations, so re-running them is a no-op. Never edit a released
 * migration; add the next one.
 */
import { baseUrlProblem } from '../../config/base-url.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Work SQL cannot express, run after `sql` in the same transaction. */
  apply?(database: MigrationDatabase): void;
}

/** What a migration's `apply` uses of the connection (better-sqlite3's Database fits). */
export interface MigrationDatabase {
  prepare(sql: string): { all(...parameters: unknown[]): unknown[]; run(...parameters: unknown[]): unknown };
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'ledger',
    sql: `
      CREATE TABLE ledger (
        id TEXT PRIMARY KEY,
        time TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        key_id TEXT,
        team TEXT,
        model_requested TEXT,
        route TEXT,
        model TEXT,
        provider TEXT,
        upstream_model TEXT,
        attempts TEXT NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cached_input_tokens INTEGER NOT NULL,
        reasoning_tokens INTEGER NOT NULL,
        tokens_estimated INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        latency_ms INTEGER NOT NULL,
        ttft_ms INTEGER,
        status TEXT NOT NULL,
        http_status INTEGER NOT NULL,
        error_code TEXT,
        error_message TEXT,
        stream INTEGER NOT NULL,
        reason TEXT,
        metadata TEXT NOT NULL,
        warnings TEXT NOT NULL
      );
      CREATE INDEX ledger_time ON ledger (time);
      CREATE INDEX ledger_key_time ON ledger (key_id, time);
      CREATE INDEX ledger_team_time ON ledger (team, time);
      CREATE INDEX ledger_model_time ON ledger (model, time);
    `,
  },
  {
    version: 2,
    name: 'ledger guardrails',
    sql: `ALTER TABLE ledger ADD COLUMN guardrails TEXT NOT NULL DEFAULT '[]';`,
  },
  {
    version: 3,
    name: 'virtual keys and teams',
    sql: `
      CREATE TABLE virtual_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        team TEXT,
        key_hash TEXT NOT NULL UNIQUE,
        key_hint TEXT NOT NULL,
        models TEXT,
        budget_usd REAL,
        budget_period TEXT NOT NULL,
        rpm INTEGER,
        tpm INTEGER,
        model_limits TEXT NOT NULL,
        expires_at TEXT,
        metadata TEXT NOT NULL,
        guardrails TEXT NOT NULL,
        revoked INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX virtual_keys_team ON virtual_keys (team);
      CREATE TABLE teams (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        models TEXT,
        budget_usd REAL,
        budget_period TEXT NOT NULL,
        rpm INTEGER,
        tpm INTEGER,
        model_limits TEXT NOT NULL,
        metadata TEXT NOT NULL,
        guardrails TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'runtime providers',
    sql: `
      CREATE TABLE runtime_providers (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        sealed_config TEXT NOT NULL,
        api_key_hint TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'audit log',
    sql: `
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target_type TEXT NOT NULL,
        target_id TEXT,
        details TEXT NOT NULL
      );
      CREATE INDEX audit_log_target ON audit_log (target_id, time);
    `,
  },
  {
    version: 6,
    name: 'feedback',
    sql: `
      CREATE TABLE feedback (
        request_id TEXT PRIMARY KEY,
        time TEXT NOT NULL,
        model TEXT NOT NULL,
        provider TEXT NOT NULL,
        key_id TEXT,
        score REAL NOT NULL
      );
      CREATE INDEX feedback_model ON feedback (model);
    `,
  },
  {
    // No query reads it: /admin/usage's model filter is `model = ? OR model_requested = ?`, which
    // SQLite answers through ledger_time (EXPLAIN QUERY PLAN), and summaries group in a temporary
    // B-tree. Each index is one more B-tree insert per ledger row (docs/performance.md).
    version: 7,
    name: 'ledger: drop the unused model index',
    sql: `DROP INDEX IF EXISTS ledger_model_time;`,
  },
  {
    // Before 073aed8 a runtime provider's base_url could carry `user:password@`, a query string or
    // a fragment (where some put a key), and POST /admin/providers audited it as given. Such a
    // URL is refused now, so stored ones are cut to what is accepted: scheme, host, port, path.
    version: 8,
    name: 'audit log: credentials in old base_url values removed',
    sql: '',
    apply(database) {
      const rows = database.prepare(`SELECT id, json_extract(details, '$.base_url') AS base_url FROM audit_log WHERE json_type(details, '$.base_url') = 'text'`).all() as Array<{ id: number; base_url: string }>;
      const update = database.prepare(`UPDATE audit_log SET details = json_set(details, '$.base_url', ?) WHERE id = ?`);
      for (const row of rows) {
        const cleaned = withoutCredentials(row.base_url);
        if (cleaned !== row.base_url) update.run(cleaned, row.id);
      }
    },
  },
  {
    // Only rows that have a key (or a team) are ever looked up by it: every query of these two
    // indexes compares the column with `=` (budgets' spend, /admin/usage filters), which SQLite
    // knows implies IS NOT NULL (https://sqlite.org/partialindex.html, "Queries Using Partial
    // Indexes"). Rows made with the master key, and keys without a team, skip one B-tree insert
    // each: 8.8 → 7.3 µs a row for a master-key row (scratch loop, real schema, 50-row batches;
    // docs/performance.md, seventeenth session).
    version: 9,
    name: 'ledger: key and team indexes hold only rows that have one',
    sql: `
      DROP INDEX IF EXISTS ledger_key_time;
      CREATE INDEX ledger_key_time ON ledger (key_id, time) WHERE key_id IS NOT NULL;
      DROP INDEX IF EXISTS ledger_team_time;
      CREATE INDEX ledger_team_time ON ledger (team, time) WHERE team IS NOT NULL;
    `,
  },
  {
    // Cache writes are priced apart (src/ledger/cost.ts): the row shows how many there were.
    version: 10,
    name: 'ledger: cache write tokens',
    sql: `ALTER TABLE ledger ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;`,
  },
];

/**
 * `url` as the config accepts a base_url now (src/config/base-url.ts): kept when it is, else cut to
 * scheme, host, port and path; `[redacted]` when it does not parse and holds `@`, `?` or `#`.
 */
export function withoutCredentials(url: string): string {
  if (!URL.canParse(url)) return /[@?#]/.test(url) ? '[redacted]' : url;
  if (baseUrlProblem(url) === undefined) return url;
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}
