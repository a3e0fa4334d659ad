import type Database from 'better-sqlite3';
import type { AuditQuery, AuditStore } from '../../core/stores.ts';
import { auditEntryFromColumns, auditPageSize } from '../governance-columns.ts';
import { sqliteColumns } from './columns.ts';

/** The admin audit log in SQLite, append-only. */
export function createAuditStore(database: Database.Database): AuditStore {
  const insert = database.prepare(
    'INSERT INTO audit_log (time, actor, action, target_type, target_id, details) VALUES (@time, @actor, @action, @target_type, @target_id, @details)',
  );
  return {
    async append(entry) {
      insert.run({
        time: entry.time,
        actor: entry.actor,
        action: entry.action,
        target_type: entry.targetType,
        target_id: entry.targetId,
        details: JSON.stringify(entry.details),
      });
    },
    async list(query: AuditQuery) {
      const conditions: string[] = [];
      const parameters: Record<string, string | number> = { limit: auditPageSize(query) };
      if (query.action) {
        conditions.push('action = @action');
        parameters.action = query.action;
      }
      if (query.targetId) {
        conditions.push('target_id = @targetId');
        parameters.targetId = query.targetId;
      }
      const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
      const rows = database.prepare(`SELECT * FROM audit_log ${where} ORDER BY id DESC LIMIT @limit`).all(parameters) as Array<Record<string, string | number | null>>;
      return rows.map((row) => auditEntryFromColumns(row, sqliteColumns));
    },
  };
}
