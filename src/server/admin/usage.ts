import type { FastifyInstance } from 'fastify';
import { roundUsd } from '../../ledger/cost.ts';
import { parseWith, type AdminContext } from './context.ts';
import { summaryQuery, usageQuery } from './contract.ts';
import { ledgerCsv, ledgerRowJson } from './ledger-json.ts';

/** /admin/usage: ledger rows by request id, key, team, model and time range (JSON or CSV), and totals. */
export function registerUsageRoutes(app: FastifyInstance, context: AdminContext): void {
  /**
   * Ledger rows carry a team's name (docs/admin.md, keys' `team`), and a team is found by id or
   * name: an id given as the filter is read as the team's name.
   */
  const teamLabel = async (team: string | undefined): Promise<string | undefined> => (team === undefined ? undefined : ((await context.teams.find(team))?.name ?? team));

  app.get('/usage', async (request, reply) => {
    const query = parseWith(usageQuery, request.query, 'usage query');
    const team = await teamLabel(query.team);
    const limit = query.limit ?? 100;
    await context.flushLedger();
    const rows = await context.ledger.query({
      ...(query.request_id !== undefined ? { requestId: query.request_id } : {}),
      ...(query.key_id !== undefined ? { keyId: query.key_id } : {}),
      ...(team !== undefined ? { team } : {}),
      ...(query.model !== undefined ? { model: query.model } : {}),
      ...(query.from !== undefined ? { from: query.from } : {}),
      ...(query.to !== undefined ? { to: query.to } : {}),
      // One more than asked for tells whether another page follows.
      limit: limit + 1,
      ...(query.offset ? { offset: query.offset } : {}),
    });
    const hasMore = rows.length > limit;
    if (hasMore) rows.pop();
    if (query.format === 'csv') {
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="switchboard-usage.csv"')
        .header('x-has-more', String(hasMore))
        .send(ledgerCsv(rows));
    }
    return { object: 'list', data: rows.map(ledgerRowJson), has_more: hasMore };
  });

  app.get('/usage/summary', async (request) => {
    const query = parseWith(summaryQuery, request.query, 'summary query');
    const team = await teamLabel(query.team);
    await context.flushLedger();
    const groups = await context.ledger.summary({
      groupBy: query.group_by,
      ...(query.from !== undefined ? { from: query.from } : {}),
      ...(query.to !== undefined ? { to: query.to } : {}),
      ...(query.key_id !== undefined ? { keyId: query.key_id } : {}),
      ...(team !== undefined ? { team } : {}),
    });
    const data = groups.map((group) => ({
      group: group.group,
      [query.group_by]: group.group,
      requests: group.requests,
      errors: group.errors,
      input_tokens: group.inputTokens,
      output_tokens: group.outputTokens,
      total_tokens: group.inputTokens + group.outputTokens,
      cost_usd: group.costUsd,
    }));
    const sum = (pick: (item: (typeof data)[number]) => number) => data.reduce((total, item) => total + pick(item), 0);
    return {
      object: 'list',
      group_by: query.group_by,
      from: query.from ?? null,
      to: query.to ?? null,
      data,
      total: {
        requests: sum((item) => item.requests),
        errors: sum((item) => item.errors),
        input_tokens: sum((item) => item.input_tokens),
        output_tokens: sum((item) => item.output_tokens),
        total_tokens: sum((item) => item.total_tokens),
        // Rounded as each row's cost is (src/ledger/cost.ts), not coarser: the total is the rows' sum.
        cost_usd: roundUsd(sum((item) => item.cost_usd)),
      },
    };
  });
}
