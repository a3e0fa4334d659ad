/**
 * SQLite schema migrations, applied in order at startup inside one transaction each and
 * recorded in schema_migrations, so re-running them is a no-op. Never edit a released
 * migration; add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
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
];
