import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { Database } from './driver.ts';
import type { LedgerRow } from '../../core/ledger.ts';
import type { LedgerQuery, LedgerStore, Storage } from '../../core/stores.ts';
import { createAuditStore } from './audit.ts';
import { createFeedbackStore } from './feedback.ts';
import { createKeyStore, createTeamStore } from './keys.ts';
import { createLedgerTotals } from './ledger-totals.ts';
import { migrations, type Migration } from './migrations.ts';
import { createProviderCredentialStore } from './providers.ts';
import { whereClause } from './where-clause.ts';

/**
 * The embedded default backend. better-sqlite3 is synchronous; every write goes through the
 * ledger writer's batches (one transaction per batch, off the request path) and WAL mode keeps
 * readers from blocking it. See docs/decisions/0002-storage.md.
 */
export async function openSqliteStorage(path: string): Promise<Storage & { database: BetterSqlite3.Database }> {
  if (path !== ':memory:') await mkdir(dirname(path), { recursive: true });
  const database = new Database(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  applyMigrations(database, migrations);
  return {
    kind: 'sqlite',
    database,
    ledger: createLedgerStore(database),
    keys: createKeyStore(database),
    teams: createTeamStore(database),
    providers: createProviderCredentialStore(database),
    audit: createAuditStore(database),
    feedback: createFeedbackStore(database),
    async ping() {
      database.prepare('SELECT 1').get();
    },
    async close() {
      database.close();
    },
  };
}

/** Applies the migrations not yet recorded; safe to call on every start. */
export function applyMigrations(database: BetterSqlite3.Database, list: readonly Migration[]): number {
  database.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set(
    (database.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((row) => row.version),
  );
  let count = 0;
  for (const migration of list) {
    if (applied.has(migration.version)) continue;
    database.transaction(() => {
      database.exec(migration.sql);
      database
        .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
        .run(migration.version, migration.name, new Date().toISOString());
    })();
    count += 1;
  }
  return count;
}

const columns = [
  'id', 'time', 'endpoint', 'key_id', 'team', 'model_requested', 'route', 'model', 'provider', 'upstream_model',
  'attempts', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'reasoning_tokens', 'tokens_estimated',
  'cost_usd', 'latency_ms', 'ttft_ms', 'status', 'http_status', 'error_code', 'error_message', 'stream', 'reason',
  'metadata', 'warnings', 'guardrails',
] as const;

type LedgerRecord = Record<(typeof columns)[number], string | number | null>;

function createLedgerStore(database: BetterSqlite3.Database): LedgerStore {
  const insert = database.prepare(
    `INSERT OR REPLACE INTO ledger (${columns.join(', ')}) VALUES (${columns.map((column) => `@${column}`).join(', ')})`,
  );
  const insertAll = database.transaction((rows: readonly LedgerRow[]) => {
    for (const row of rows) insert.run(toRecord(row));
  });
  return {
    ...createLedgerTotals(database),
    async append(rows) {
      insertAll(rows);
    },
    async query(query: LedgerQuery) {
      const { where, parameters } = whereClause([
        ['id = @requestId', 'requestId', query.requestId],
        ['key_id = @keyId', 'keyId', query.keyId],
        ['team = @team', 'team', query.team],
        ['(model = @model OR model_requested = @model)', 'model', query.model],
        ['time >= @from', 'from', query.from],
        ['time < @to', 'to', query.to],
      ]);
      const limit = Math.min(Math.max(query.limit ?? 100, 1), 10_000);
      const rows = database.prepare(`SELECT * FROM ledger ${where} ORDER BY time DESC LIMIT @limit`).all({ ...parameters, limit }) as LedgerRecord[];
      return rows.map(fromRecord);
    },
  };
}

function toRecord(row: LedgerRow): LedgerRecord {
  return {
    id: row.id,
    time: row.time,
    endpoint: row.endpoint,
    key_id: row.keyId,
    team: row.team,
    model_requested: row.modelRequested,
    route: row.route,
    model: row.model,
    provider: row.provider,
    upstream_model: row.upstreamModel,
    attempts: JSON.stringify(row.attempts),
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cached_input_tokens: row.cachedInputTokens,
    reasoning_tokens: row.reasoningTokens,
    tokens_estimated: row.tokensEstimated ? 1 : 0,
    cost_usd: row.costUsd,
    latency_ms: row.latencyMs,
    ttft_ms: row.ttftMs,
    status: row.status,
    http_status: row.httpStatus,
    error_code: row.errorCode,
    error_message: row.errorMessage,
    stream: row.stream ? 1 : 0,
    reason: row.reason,
    metadata: JSON.stringify(row.metadata),
    warnings: JSON.stringify(row.warnings),
    guardrails: JSON.stringify(row.guardrails),
  };
}

function fromRecord(record: LedgerRecord): LedgerRow {
  const text = (value: string | number | null) => (value === null ? null : String(value));
  return {
    id: String(record.id),
    time: String(record.time),
    endpoint: String(record.endpoint) as LedgerRow['endpoint'],
    keyId: text(record.key_id),
    team: text(record.team),
    modelRequested: text(record.model_requested),
    route: text(record.route),
    model: text(record.model),
    provider: text(record.provider),
    upstreamModel: text(record.upstream_model),
    attempts: JSON.parse(String(record.attempts)) as LedgerRow['attempts'],
    inputTokens: Number(record.input_tokens),
    outputTokens: Number(record.output_tokens),
    cachedInputTokens: Number(record.cached_input_tokens),
    reasoningTokens: Number(record.reasoning_tokens),
    tokensEstimated: record.tokens_estimated === 1,
    costUsd: Number(record.cost_usd),
    latencyMs: Number(record.latency_ms),
    ttftMs: record.ttft_ms === null ? null : Number(record.ttft_ms),
    status: String(record.status) as LedgerRow['status'],
    httpStatus: Number(record.http_status),
    errorCode: text(record.error_code),
    errorMessage: text(record.error_message),
    stream: record.stream === 1,
    reason: text(record.reason),
    metadata: JSON.parse(String(record.metadata)) as Record<string, string>,
    warnings: JSON.parse(String(record.warnings)) as LedgerRow['warnings'],
    guardrails: JSON.parse(String(record.guardrails ?? '[]')) as LedgerRow['guardrails'],
  };
}
