import type { FastifyInstance } from 'fastify';
import type { BudgetPeriod } from '../../core/governance.ts';
import { roundUsd } from '../../ledger/cost.ts';
import type { AdminContext } from './context.ts';

/**
 * /admin/spend: each key's and team's spend in its current budget period against its budget,
 * with what requests in flight have reserved and when the period resets.
 */
export function registerSpendRoutes(app: FastifyInstance, context: AdminContext): void {
  app.get('/spend', async () => {
    const [keys, teams] = await Promise.all([context.keys.list(), context.teams.list()]);
    const entry = async (kind: 'key' | 'team', subject: string, fields: { id: string; name: string; budgetUsd: number | null; budgetPeriod: BudgetPeriod }, extra: Record<string, unknown>) => {
      const spend = await context.limits.spend(kind, subject, fields.budgetPeriod);
      return {
        kind,
        id: fields.id,
        name: fields.name,
        ...extra,
        budget_usd: fields.budgetUsd,
        budget_period: fields.budgetPeriod,
        spent_usd: spend.spentUsd,
        reserved_usd: spend.reservedUsd,
        in_flight: spend.inFlight,
        remaining_usd: fields.budgetUsd === null ? null : Math.max(0, roundUsd(fields.budgetUsd - spend.spentUsd)),
        period_start: spend.periodStart,
        resets_at: spend.resetsAt,
      };
    };
    return {
      object: 'list',
      data: [
        ...(await Promise.all(keys.map((key) => entry('key', key.id, key, { team: key.team, revoked: key.revoked })))),
        ...(await Promise.all(teams.map((team) => entry('team', team.name, team, {})))),
      ],
    };
  });
}
