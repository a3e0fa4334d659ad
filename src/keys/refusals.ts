import { GatewayError } from '../core/errors.ts';
import type { SpendPolicy } from '../core/governance.ts';
import { periodEnd } from './budget-period.ts';

/**
 * The 429s of limits and budgets, worded alike whichever engine refused: the one in this process
 * (src/keys/limits.ts) or the one shared through Redis (src/store/redis/admission.ts).
 */

/** The retry-after of a spent total budget: it does not reset; an operator raises it. */
const totalBudgetRetryAfterSeconds = 86_400;

/** How a policy is named in messages: `key "ci"`, `team "research"`. */
export function policyName(policy: SpendPolicy): string {
  return `${policy.kind} "${policy.label}"`;
}

/** An rpm (`unit` requests) or tpm (`unit` tokens) window at its limit; `scope` names a model glob's window. */
export function windowRefusal(policy: SpendPolicy, unit: 'requests' | 'tokens', limit: number, scope: string | undefined, waitMs: number): GatewayError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const what = unit === 'requests' ? 'Rate limit' : 'Token rate limit';
  const where = scope === undefined ? '' : ` on models "${scope}"`;
  return new GatewayError('SB_ERR_RATE_LIMITED', `${what} reached for ${policyName(policy)}${where}: ${limit} ${unit} per minute. Retry after ${seconds} s.`, {
    publicCode: 'rate_limit_exceeded',
    retryAfterSeconds: seconds,
  });
}

/** A budget whose spend reached it. */
export function budgetSpentRefusal(policy: SpendPolicy & { budgetUsd: number }, spentUsd: number, now: number): GatewayError {
  const end = periodEnd(policy.budgetPeriod, now);
  return new GatewayError(
    'SB_ERR_BUDGET_EXCEEDED',
    `Budget exceeded for ${policyName(policy)}: spent $${spentUsd.toFixed(6)} of its $${policy.budgetUsd} ${periodWords(policy)}. ` +
      (end ? `It resets at ${end.toISOString()}.` : 'Raise the budget to continue.'),
    // Every 429 says when to come back (../shared/SPEC.md); a total budget never resets by
    // itself, so a day. A retry-after that long also says not to retry (x-should-retry:
    // src/server/error-handler.ts): the SDKs would sleep it out before retrying.
    {
      publicCode: 'budget_exceeded',
      retryAfterSeconds: end ? Math.max(1, Math.ceil((end.getTime() - now) / 1000)) : totalBudgetRetryAfterSeconds,
    },
  );
}

/** A budget held by the estimates of requests in flight. */
export function budgetReservedRefusal(policy: SpendPolicy & { budgetUsd: number }, spentUsd: number, reservedUsd: number, inFlight: number): GatewayError {
  return new GatewayError(
    'SB_ERR_BUDGET_EXCEEDED',
    `Budget of ${policyName(policy)} is held by ${inFlight} request(s) in flight: spent $${spentUsd.toFixed(6)} and reserved ` +
      `$${reservedUsd.toFixed(6)} of its $${policy.budgetUsd} ${periodWords(policy)}. Retry when they finish.`,
    { publicCode: 'budget_reserved', retryAfterSeconds: 1 },
  );
}

function periodWords(policy: SpendPolicy): string {
  return policy.budgetPeriod === 'total' ? 'total budget' : `budget per ${policy.budgetPeriod} (UTC)`;
}
