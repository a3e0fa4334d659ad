import { z } from 'zod';
import { utcIsoTime } from '../../core/utc-time.ts';

/**
 * The /admin JSON contract (../shared/SPEC.md "HTTP API", docs/admin.md): request schemas,
 * strict so a misspelt field is a 400 naming it, and the response shapes. The dashboard imports
 * only types from this file.
 */

const budgetPeriod = z.enum(['day', 'month', 'total']);
const positiveInteger = z.number().int().positive();
const rateLimits = z.object({ rpm: positiveInteger.optional(), tpm: positiveInteger.optional() }).strict();
/** ISO-8601 date-time (with an offset or Z; none means UTC), or a date meaning its UTC midnight. */
const isoTime = z
  .union([z.iso.datetime({ offset: true, local: true }), z.iso.date()], {
    error: 'expected an ISO-8601 date-time (2025-06-01T12:00:00Z, 2025-06-01T14:00:00+02:00) or date (2025-06-01)',
  })
  .transform(utcIsoTime);

/** Budgets and limits, as keys and teams both carry them. */
const limitFields = {
  models: z.array(z.string().min(1)).nullable().optional(),
  budget_usd: z.number().nonnegative().nullable().optional(),
  budget_period: budgetPeriod.optional(),
  rpm: positiveInteger.nullable().optional(),
  tpm: positiveInteger.nullable().optional(),
  /** Per requested model (glob): `{"gpt-4o*": {"rpm": 10}}`. */
  model_limits: z.record(z.string().min(1), rateLimits).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  /** Names of configured guardrails. */
  guardrails: z.array(z.string().min(1)).optional(),
};

const keyFields = {
  ...limitFields,
  team: z.string().min(1).nullable().optional(),
  expires_at: isoTime.nullable().optional(),
};

export const createKeyRequest = z.object({ name: z.string().min(1).max(200), ...keyFields }).strict();
export const updateKeyRequest = z.object({ name: z.string().min(1).max(200).optional(), ...keyFields }).strict();
export const createTeamRequest = z
  .object({ id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/).max(100).optional(), name: z.string().min(1).max(200), ...limitFields })
  .strict();
/** A team's name is its label on keys and ledger rows: it cannot change. */
export const updateTeamRequest = z.object(limitFields).strict();

export type CreateKeyRequest = z.infer<typeof createKeyRequest>;
export type UpdateKeyRequest = z.infer<typeof updateKeyRequest>;
export type CreateTeamRequest = z.infer<typeof createTeamRequest>;
export type UpdateTeamRequest = z.infer<typeof updateTeamRequest>;

export const usageQuery = z
  .object({
    request_id: z.string().optional(),
    key_id: z.string().optional(),
    team: z.string().optional(),
    model: z.string().optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
    offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    format: z.enum(['json', 'csv']).optional(),
  })
  .strict();

export const summaryQuery = z
  .object({
    group_by: z.enum(['key', 'team', 'model', 'provider', 'day']).default('model'),
    from: isoTime.optional(),
    to: isoTime.optional(),
    key_id: z.string().optional(),
    team: z.string().optional(),
  })
  .strict();

export const auditQuery = z
  .object({ action: z.string().optional(), target_id: z.string().optional(), limit: z.coerce.number().int().min(1).max(10_000).optional() })
  .strict();

export type BudgetPeriodName = z.infer<typeof budgetPeriod>;

/** The allowed models, budget (with the spend of its current period) and rate limits of a key or team. */
export interface LimitsView {
  models: string[] | null;
  budget_usd: number | null;
  budget_period: BudgetPeriodName;
  spent_usd: number;
  rpm: number | null;
  tpm: number | null;
  model_limits: Record<string, { rpm?: number; tpm?: number }>;
}

/** A key as every admin answer shows it: never the secret, only `key_hint`. */
export interface KeyView extends LimitsView {
  id: string;
  name: string;
  team: string | null;
  expires_at: string | null;
  metadata: Record<string, string>;
  guardrails: string[];
  revoked: boolean;
  created_at: string;
  updated_at: string;
  key_hint: string;
}

/** The answer to create and rotate: the only place the secret appears. */
export interface IssuedKeyView extends KeyView {
  key: string;
}

export interface TeamView extends LimitsView {
  id: string;
  name: string;
  metadata: Record<string, string>;
  guardrails: string[];
  created_at: string;
  updated_at: string;
}
