import type Database from 'better-sqlite3';
import type { KeyStore, LimitSettings, TeamStore } from '../../core/stores.ts';
import { keyFromColumns, teamFromColumns } from '../governance-columns.ts';
import { sqliteColumns } from './columns.ts';

type Row = Record<string, string | number | null>;

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
      return row ? keyFromColumns(row, sqliteColumns) : undefined;
    },
    async findByHash(keyHash) {
      const row = byHash.get(keyHash) as Row | undefined;
      return row ? keyFromColumns(row, sqliteColumns) : undefined;
    },
    async list() {
      return (all.all() as Row[]).map((row) => keyFromColumns(row, sqliteColumns));
    },
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
      return row ? teamFromColumns(row, sqliteColumns) : undefined;
    },
    async findByLabel(label) {
      const row = byLabel.get(label, label, label) as Row | undefined;
      return row ? teamFromColumns(row, sqliteColumns) : undefined;
    },
    async list() {
      return (all.all() as Row[]).map((row) => teamFromColumns(row, sqliteColumns));
    },
    async delete(id) {
      return remove.run(id).changes > 0;
    },
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
