import type { AuditQuery, AuditStore, FeedbackRecord, FeedbackStore, ProviderCredentialStore, StoredProvider } from '../../core/stores.ts';
import { auditEntryFromColumns, auditPageSize } from '../governance-columns.ts';
import { iso, jsonParameter, postgresColumns, textParameter, whereClause } from './values.ts';
import type { Database } from './database.ts';

/** Runtime providers in PostgreSQL: the config is stored sealed (src/keys/credential-cipher.ts). */
export function createPostgresProviderStore(database: Database): ProviderCredentialStore {
  return {
    async save(record) {
      await database.query(
        `INSERT INTO runtime_providers (id, type, sealed_config, api_key_hint, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, sealed_config = EXCLUDED.sealed_config,
           api_key_hint = EXCLUDED.api_key_hint, updated_at = EXCLUDED.updated_at`,
        [textParameter(record.id), record.type, record.sealedConfig, textParameter(record.apiKeyHint), record.createdAt, record.updatedAt],
      );
    },
    async list() {
      const { rows } = await database.query('SELECT * FROM runtime_providers ORDER BY created_at, id');
      return rows.map(
        (row): StoredProvider => ({
          id: String(row.id),
          type: String(row.type),
          sealedConfig: String(row.sealed_config),
          apiKeyHint: row.api_key_hint === null || row.api_key_hint === undefined ? null : String(row.api_key_hint),
          createdAt: iso(row.created_at),
          updatedAt: iso(row.updated_at),
        }),
      );
    },
    async delete(id) {
      const { rowCount } = await database.query('DELETE FROM runtime_providers WHERE id = $1', [textParameter(id)]);
      return (rowCount ?? 0) > 0;
    },
  };
}

/** The admin audit log in PostgreSQL, append-only. */
export function createPostgresAuditStore(database: Database): AuditStore {
  return {
    async append(entry) {
      await database.query('INSERT INTO audit_log (time, actor, action, target_type, target_id, details) VALUES ($1, $2, $3, $4, $5, $6)', [
        entry.time,
        textParameter(entry.actor),
        entry.action,
        entry.targetType,
        textParameter(entry.targetId),
        jsonParameter(JSON.stringify(entry.details)),
      ]);
    },
    async list(query: AuditQuery) {
      const { where, values } = whereClause([
        ['action = $?', query.action],
        ['target_id = $?', query.targetId],
      ]);
      const { rows } = await database.query(`SELECT * FROM audit_log ${where} ORDER BY id DESC LIMIT ${auditPageSize(query)}`, values);
      return rows.map((row) => auditEntryFromColumns(row, postgresColumns));
    },
  };
}

/** Feedback in PostgreSQL: one row per request, replaced when feedback is given again. */
export function createPostgresFeedbackStore(database: Database): FeedbackStore {
  return {
    async save(record: FeedbackRecord) {
      // The replaced score read in the same statement: every part of it sees the table as it was
      // before the statement, so `previous` is the old score, not the new one.
      const { rows } = await database.query<{ previous: number | null }>(
        `WITH previous AS (SELECT score FROM feedback WHERE request_id = $1)
         INSERT INTO feedback (request_id, time, model, provider, key_id, score) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (request_id) DO UPDATE SET time = EXCLUDED.time, model = EXCLUDED.model, provider = EXCLUDED.provider,
           key_id = EXCLUDED.key_id, score = EXCLUDED.score
         RETURNING (SELECT score FROM previous) AS previous`,
        [textParameter(record.requestId), record.time, textParameter(record.model), textParameter(record.provider), textParameter(record.keyId), record.score],
      );
      const previous = rows[0]?.previous;
      return previous === null || previous === undefined ? {} : { replacedScore: Number(previous) };
    },
    async totals() {
      const { rows } = await database.query<{ model: string; count: string; sum: number }>('SELECT model, COUNT(*) AS count, SUM(score) AS sum FROM feedback GROUP BY model');
      return rows.map((row) => ({ model: row.model, count: Number(row.count), sum: Number(row.sum) }));
    },
  };
}
