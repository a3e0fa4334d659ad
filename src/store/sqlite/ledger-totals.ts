import type Database from 'better-sqlite3';
import type { SpendSubject, UsageGroup, UsageSummaryQuery, UsageTotals } from '../../core/stores.ts';
import { roundUsd } from '../../ledger/cost.ts';
import { whereClause } from './where-clause.ts';

/** The SQL expression of each grouping; `day` is the UTC date of the row's ISO time. */
const groupExpressions: Record<UsageGroup, string> = {
  key: 'key_id',
  team: 'team',
  model: 'model',
  provider: 'provider',
  day: 'substr(time, 1, 10)',
};

/** Ledger sums: /admin/usage/summary and the spend that budgets start from. */
export function createLedgerTotals(database: Database.Database) {
  const costByKey = database.prepare('SELECT COALESCE(SUM(cost_usd), 0) AS total FROM ledger WHERE key_id = ? AND time >= ?');
  const costByTeam = database.prepare('SELECT COALESCE(SUM(cost_usd), 0) AS total FROM ledger WHERE team = ? AND time >= ?');
  return {
    async summary(query: UsageSummaryQuery): Promise<UsageTotals[]> {
      const expression = groupExpressions[query.groupBy];
      const { where, parameters } = whereClause([
        ['time >= @from', 'from', query.from],
        ['time < @to', 'to', query.to],
        ['key_id = @keyId', 'keyId', query.keyId],
        ['team = @team', 'team', query.team],
      ]);
      const rows = database
        .prepare(
          `SELECT ${expression} AS grouped, COUNT(*) AS requests, SUM(CASE WHEN status = 'ok' THEN 0 ELSE 1 END) AS errors,
                  SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, SUM(cost_usd) AS cost_usd
           FROM ledger ${where} GROUP BY grouped ORDER BY cost_usd DESC, grouped`,
        )
        .all(parameters) as Array<{ grouped: string | null; requests: number; errors: number; input_tokens: number; output_tokens: number; cost_usd: number }>;
      return rows.map((row) => ({
        group: row.grouped,
        requests: row.requests,
        errors: row.errors,
        inputTokens: row.input_tokens,
        outputTokens: row.output_tokens,
        // Sums of rounded costs can show float noise; round like costOf does.
        costUsd: roundUsd(row.cost_usd),
      }));
    },
    async costSince(subject: SpendSubject, from: string | undefined): Promise<number> {
      const since = from ?? '';
      const row = ('keyId' in subject ? costByKey.get(subject.keyId, since) : costByTeam.get(subject.team, since)) as { total: number };
      return row.total;
    },
  };
}
