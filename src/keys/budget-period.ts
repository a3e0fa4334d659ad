import type { BudgetPeriod } from '../core/governance.ts';

/**
 * Budget periods on the UTC calendar: a `day` budget starts over at 00:00 UTC, a `month`
 * budget on the first of the month at 00:00 UTC, a `total` budget never.
 */

/** The period a moment falls in, as a comparable key (`day:2025-03-31`, `month:2025-03`, `total`). */
export function periodKey(period: BudgetPeriod, time: number): string {
  switch (period) {
    case 'day':
      return `day:${new Date(time).toISOString().slice(0, 10)}`;
    case 'month':
      return `month:${new Date(time).toISOString().slice(0, 7)}`;
    case 'total':
      return 'total';
    default: {
      const exhaustive: never = period;
      return exhaustive;
    }
  }
}

/** When the period containing `time` started (undefined for `total`: the beginning of time). */
export function periodStart(period: BudgetPeriod, time: number): Date | undefined {
  const date = new Date(time);
  if (period === 'day') return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  if (period === 'month') return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
  return undefined;
}

/** When the period containing `time` ends and the budget starts over (undefined for `total`). */
export function periodEnd(period: BudgetPeriod, time: number): Date | undefined {
  const date = new Date(time);
  if (period === 'day') return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1));
  if (period === 'month') return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1));
  return undefined;
}
