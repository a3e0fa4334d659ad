import type { KeyStore, LimitSettings, TeamStore } from '../../core/stores.ts';
import { keyFromColumns, teamFromColumns } from '../governance-columns.ts';
import { jsonParameter, postgresColumns, textParameter } from './values.ts';
import type { Database } from './database.ts';

const json = (value: unknown): string => jsonParameter(JSON.stringify(value));

/** Virtual keys in PostgreSQL: the secret's hash (unique index) and a hint, never the secret. */
export function createPostgresKeyStore(database: Database): KeyStore {
  const upsert = `
    INSERT INTO virtual_keys (id, name, team, key_hash, key_hint, models, budget_usd, budget_period, rpm, tpm, model_limits,
                              expires_at, metadata, guardrails, revoked, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, team = EXCLUDED.team, key_hash = EXCLUDED.key_hash,
      key_hint = EXCLUDED.key_hint, models = EXCLUDED.models, budget_usd = EXCLUDED.budget_usd,
      budget_period = EXCLUDED.budget_period, rpm = EXCLUDED.rpm, tpm = EXCLUDED.tpm, model_limits = EXCLUDED.model_limits,
      expires_at = EXCLUDED.expires_at, metadata = EXCLUDED.metadata, guardrails = EXCLUDED.guardrails,
      revoked = EXCLUDED.revoked, updated_at = EXCLUDED.updated_at`;
  return {
    async save(record) {
      await database.query(upsert, [
        textParameter(record.id),
        textParameter(record.name),
        textParameter(record.team),
        record.keyHash,
        textParameter(record.keyHint),
        ...limitValues(record),
        record.expiresAt,
        json(record.metadata),
        json(record.guardrails),
        record.revoked,
        record.createdAt,
        record.updatedAt,
      ]);
    },
    async get(id) {
      const { rows } = await database.query('SELECT * FROM virtual_keys WHERE id = $1', [textParameter(id)]);
      return rows[0] ? keyFromColumns(rows[0], postgresColumns) : undefined;
    },
    async findByHash(keyHash) {
      const { rows } = await database.query('SELECT * FROM virtual_keys WHERE key_hash = $1', [textParameter(keyHash)]);
      return rows[0] ? keyFromColumns(rows[0], postgresColumns) : undefined;
    },
    async list() {
      const { rows } = await database.query('SELECT * FROM virtual_keys ORDER BY created_at, id');
      return rows.map((row) => keyFromColumns(row, postgresColumns));
    },
  };
}

/** Teams in PostgreSQL; names are unique so keys can name a team by name. */
export function createPostgresTeamStore(database: Database): TeamStore {
  const upsert = `
    INSERT INTO teams (id, name, models, budget_usd, budget_period, rpm, tpm, model_limits, metadata, guardrails, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, models = EXCLUDED.models, budget_usd = EXCLUDED.budget_usd,
      budget_period = EXCLUDED.budget_period, rpm = EXCLUDED.rpm, tpm = EXCLUDED.tpm, model_limits = EXCLUDED.model_limits,
      metadata = EXCLUDED.metadata, guardrails = EXCLUDED.guardrails, updated_at = EXCLUDED.updated_at`;
  return {
    async save(record) {
      await database.query(upsert, [
        textParameter(record.id),
        textParameter(record.name),
        ...limitValues(record),
        json(record.metadata),
        json(record.guardrails),
        record.createdAt,
        record.updatedAt,
      ]);
    },
    async get(id) {
      const { rows } = await database.query('SELECT * FROM teams WHERE id = $1', [textParameter(id)]);
      return rows[0] ? teamFromColumns(rows[0], postgresColumns) : undefined;
    },
    async findByLabel(label) {
      const { rows } = await database.query('SELECT * FROM teams WHERE id = $1 OR name = $1 ORDER BY (id = $1) DESC LIMIT 1', [textParameter(label)]);
      return rows[0] ? teamFromColumns(rows[0], postgresColumns) : undefined;
    },
    async list() {
      const { rows } = await database.query('SELECT * FROM teams ORDER BY created_at, id');
      return rows.map((row) => teamFromColumns(row, postgresColumns));
    },
    async delete(id) {
      const { rowCount } = await database.query('DELETE FROM teams WHERE id = $1', [textParameter(id)]);
      return (rowCount ?? 0) > 0;
    },
  };
}

/** models, budget_usd, budget_period, rpm, tpm, model_limits: the columns keys and teams share. */
function limitValues(record: LimitSettings): unknown[] {
  return [
    record.models === null ? null : json(record.models),
    record.budgetUsd,
    record.budgetPeriod,
    record.rpm,
    record.tpm,
    json(record.modelLimits),
  ];
}
