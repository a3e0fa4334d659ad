import type Database from 'better-sqlite3';
import type { BudgetPeriod, RateLimits } from '../../core/governance.ts';
import type { KeyStore, LimitSettings, TeamRecord, TeamStore, VirtualKeyRecord } from '../../core/stores.ts';

type Row = Record<string, string | number | null>;

const json = <T>(value: string | number | null | undefined, fallback: T): T => (value === null || value === undefined ? fallback : (JSON.parse(String(value)) as T));
const text = (value: string | number | null | undefined): string | null => (value === null || value === undefined ? null : String(value));
const number = (value: string | number | null | undefined): number | null => (value === null || value === undefined ? null : Number(value));

/** Virtual keys in SQLite: the secret's hash (unique index) and a hint, never the secret. */
export function createKeyStore(database: Database.Database): KeyStore {
  const upsert = database.prepare(`
    INSERT INTO virtual_keys (id, name, team, key_hash, key_hint, models, budget_usd, budget_period, rpm, tpm, model_limits,
                              expires_at, metadata, guardrails, revoked, created_at, updated_at)
    VALUES (@id, @name, @team, @key_hash, @key_hint, @models, @budget_usd, @budget_period, @rpm, @tpm, @model_limits,
            @expires_at, @metadata, @guardrails, @revoked, @created_at, @updated_at)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, team = excluded.team, key_hash = excluded.key_hash,
      key_hint = excluded.key_hint, models = excluded.models, budget_usd = excluded.budget_usd,
      budget_period = excluded.budget_period, rpm = excluded.rpm, tpm = excluded.tpm, model_limits = excluded.model_limits,
      expires_at = excluded.expires_at, metadata = excluded.metadata, guardrails = excluded.guardrails,
      revoked = excluded.revoked, updated_at = excluded.updated_at`);
  const byId = database.prepare('SELECT * FROM virtual_keys WHERE id = ?');
  const byHash = database.prepare('SELECT * FROM virtual_keys WHERE key_hash = ?');
  const all = database.prepare('SELECT * FROM virtual_keys ORDER BY created_at, id');
  return {
    async save(record) {
      upsert.run({
        id: record.id,
        name: record.name,
        team: record.team,
        key_hash: record.keyHash,
        key_hint: record.keyHint,
        ...limitColumns(record),
        expires_at: record.expiresAt,
        metadata: JSON.stringify(record.metadata),
        guardrails: JSON.stringify(record.guardrails),
        revoked: record.revoked ? 1 : 0,
        created_at: record.createdAt,
        updated_at: record.updatedAt,
      });
    },
    async get(id) {
      const row = byId.get(id) as Row | undefined;
      return row ? keyFromRow(row) : undefined;
    },
    async findByHash(keyHash) {
      const row = byHash.get(keyHash) as Row | undefined;
      return row ? keyFromRow(row) : undefined;
    },
    async list() {
      return (all.all() as Row[]).map(keyFromRow);
    },
  };
}

function keyFromRow(row: Row): VirtualKeyRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    team: text(row.team),
    ...limitsFromRow(row),
    expiresAt: text(row.expires_at),
    metadata: json<Record<string, string>>(row.metadata, {}),
    guardrails: json<string[]>(row.guardrails, []),
    revoked: row.revoked === 1,
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
    keyHash: String(row.key_hash),
    keyHint: String(row.key_hint),
  };
}

/** Teams in SQLite; names are unique so keys can name a team by name. */
export function createTeamStore(database: Database.Database): TeamStore {
  const upsert = database.prepare(`
    INSERT INTO teams (id, name, models, budget_usd, budget_period, rpm, tpm, model_limits, metadata, guardrails, created_at, updated_at)
    VALUES (@id, @name, @models, @budget_usd, @budget_period, @rpm, @tpm, @model_limits, @metadata, @guardrails, @created_at, @updated_at)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, models = excluded.models, budget_usd = excluded.budget_usd,
      budget_period = excluded.budget_period, rpm = excluded.rpm, tpm = excluded.tpm, model_limits = excluded.model_limits,
      metadata = excluded.metadata, guardrails = excluded.guardrails, updated_at = excluded.updated_at`);
  const byId = database.prepare('SELECT * FROM teams WHERE id = ?');
  const byLabel = database.prepare('SELECT * FROM teams WHERE id = ? OR name = ? ORDER BY (id = ?) DESC LIMIT 1');
  const all = database.prepare('SELECT * FROM teams ORDER BY created_at, id');
  const remove = database.prepare('DELETE FROM teams WHERE id = ?');
  return {
    async save(record) {
      upsert.run({
        id: record.id,
        name: record.name,
        ...limitColumns(record),
        metadata: JSON.stringify(record.metadata),
        guardrails: JSON.stringify(record.guardrails),
        created_at: record.createdAt,
        updated_at: record.updatedAt,
      });
    },
    async get(id) {
      const row = byId.get(id) as Row | undefined;
      return row ? teamFromRow(row) : undefined;
    },
    async findByLabel(label) {
      const row = byLabel.get(label, label, label) as Row | undefined;
      return row ? teamFromRow(row) : undefined;
    },
    async list() {
      return (all.all() as Row[]).map(teamFromRow);
    },
    async delete(id) {
      return remove.run(id).changes > 0;
    },
  };
}

function teamFromRow(row: Row): TeamRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    ...limitsFromRow(row),
    metadata: json<Record<string, string>>(row.metadata, {}),
    guardrails: json<string[]>(row.guardrails, []),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}

/** The columns keys and teams both have for their allowed models, budget and rate limits. */
function limitColumns(record: LimitSettings): Row {
  return {
    models: record.models === null ? null : JSON.stringify(record.models),
    budget_usd: record.budgetUsd,
    budget_period: record.budgetPeriod,
    rpm: record.rpm,
    tpm: record.tpm,
    model_limits: JSON.stringify(record.modelLimits),
  };
}

function limitsFromRow(row: Row): LimitSettings {
  return {
    models: json<string[] | null>(row.models, null),
    budgetUsd: number(row.budget_usd),
    budgetPeriod: String(row.budget_period) as BudgetPeriod,
    rpm: number(row.rpm),
    tpm: number(row.tpm),
    modelLimits: json<Record<string, RateLimits>>(row.model_limits, {}),
  };
}
