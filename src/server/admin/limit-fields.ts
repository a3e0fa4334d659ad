import type { LimitSettings } from '../../core/stores.ts';
import type { LimitsView, UpdateTeamRequest } from './contract.ts';

/** The allowed models, budget and rate limits of a key or team request body (contract.ts `limitFields`). */
type LimitFields = Pick<UpdateTeamRequest, 'models' | 'budget_usd' | 'budget_period' | 'rpm' | 'tpm' | 'model_limits'>;

/** The limits of a new key or team: what the body sets, no limit where it sets none, budget period `total`. */
export function limitSettingsOf(body: LimitFields): LimitSettings {
  return {
    models: body.models ?? null,
    budgetUsd: body.budget_usd ?? null,
    budgetPeriod: body.budget_period ?? 'total',
    rpm: body.rpm ?? null,
    tpm: body.tpm ?? null,
    modelLimits: body.model_limits ?? {},
  };
}

/** Only the limits a PATCH body sets; `null` clears a limit. */
export function limitChangesOf(body: LimitFields): Partial<LimitSettings> {
  const changes: Partial<LimitSettings> = {};
  if (body.models !== undefined) changes.models = body.models;
  if (body.budget_usd !== undefined) changes.budgetUsd = body.budget_usd;
  if (body.budget_period !== undefined) changes.budgetPeriod = body.budget_period;
  if (body.rpm !== undefined) changes.rpm = body.rpm;
  if (body.tpm !== undefined) changes.tpm = body.tpm;
  if (body.model_limits !== undefined) changes.modelLimits = body.model_limits;
  return changes;
}

/** A key's or team's limits as the admin API shows them, with the spend of the current budget period. */
export function limitsView(record: LimitSettings, spentUsd: number): LimitsView {
  return {
    models: record.models,
    budget_usd: record.budgetUsd,
    budget_period: record.budgetPeriod,
    spent_usd: spentUsd,
    rpm: record.rpm,
    tpm: record.tpm,
    model_limits: record.modelLimits,
  };
}
