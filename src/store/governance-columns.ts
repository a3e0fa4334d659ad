import type { BudgetPeriod, RateLimits } from '../core/governance.ts';
import type { AuditEntry, AuditQuery, LimitSettings, TeamRecord, VirtualKeyRecord } from '../core/stores.ts';
import type { ColumnDecoding } from './ledger-columns.ts';

/**
 * Virtual keys, teams and audit entries from their tables' columns (the same names in SQLite and
 * PostgreSQL), read through each backend's `ColumnDecoding` as ledger rows are
 * (src/store/ledger-columns.ts): a new column is read in one place for both.
 */

type Columns = Record<string, unknown>;

const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const number = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export function keyFromColumns(row: Columns, decode: ColumnDecoding): VirtualKeyRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    team: text(row.team),
    ...limitsFromColumns(row, decode),
    expiresAt: row.expires_at === null || row.expires_at === undefined ? null : decode.time(row.expires_at),
    metadata: (decode.json(row.metadata) ?? {}) as Record<string, string>,
    guardrails: (decode.json(row.guardrails) ?? []) as string[],
    revoked: decode.flag(row.revoked),
    createdAt: decode.time(row.created_at),
    updatedAt: decode.time(row.updated_at),
    keyHash: String(row.key_hash),
    keyHint: String(row.key_hint),
  };
}

export function teamFromColumns(row: Columns, decode: ColumnDecoding): TeamRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    ...limitsFromColumns(row, decode),
    metadata: (decode.json(row.metadata) ?? {}) as Record<string, string>,
    guardrails: (decode.json(row.guardrails) ?? []) as string[],
    createdAt: decode.time(row.created_at),
    updatedAt: decode.time(row.updated_at),
  };
}

/** models, budget_usd, budget_period, rpm, tpm, model_limits: the columns keys and teams share. */
function limitsFromColumns(row: Columns, decode: ColumnDecoding): LimitSettings {
  return {
    models: (decode.json(row.models) ?? null) as string[] | null,
    budgetUsd: number(row.budget_usd),
    budgetPeriod: String(row.budget_period) as BudgetPeriod,
    rpm: number(row.rpm),
    tpm: number(row.tpm),
    modelLimits: (decode.json(row.model_limits) ?? {}) as Record<string, RateLimits>,
  };
}

export function auditEntryFromColumns(row: Columns, decode: ColumnDecoding): AuditEntry {
  return {
    id: Number(row.id),
    time: decode.time(row.time),
    actor: String(row.actor),
    action: String(row.action),
    targetType: String(row.target_type),
    targetId: text(row.target_id),
    details: decode.json(row.details) as Record<string, unknown>,
  };
}

/** How many audit entries a list returns: 100 unless asked, 1 to 10,000. */
export function auditPageSize(query: AuditQuery): number {
  return Math.min(Math.max(query.limit ?? 100, 1), 10_000);
}
