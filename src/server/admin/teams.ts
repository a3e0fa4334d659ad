import type { FastifyInstance } from 'fastify';
import type { TeamRecord } from '../../core/stores.ts';
import type { TeamSettings } from '../../keys/teams.ts';
import { audit, checkGuardrails, idOf, notFound, parseWith, type AdminContext } from './context.ts';
import { createTeamRequest, updateTeamRequest, type TeamView, type UpdateTeamRequest } from './contract.ts';
import { limitChangesOf, limitSettingsOf, limitsView } from './limit-fields.ts';
import { registerRecordRoutes } from './record-routes.ts';

/** /admin/teams: budgets, limits, models and guardrails shared by the keys that name the team. */
export function registerTeamRoutes(app: FastifyInstance, context: AdminContext): void {
  app.post('/teams', async (request, reply) => {
    const body = parseWith(createTeamRequest, request.body, 'team');
    checkGuardrails(context, body.guardrails);
    const record = await context.teams.create(
      {
        name: body.name,
        ...limitSettingsOf(body),
        metadata: body.metadata ?? {},
        guardrails: body.guardrails ?? [],
      },
      body.id,
    );
    await audit(context, request, 'team.create', 'team', record.id, { name: record.name, budget_usd: record.budgetUsd, budget_period: record.budgetPeriod, rpm: record.rpm, tpm: record.tpm });
    return reply.code(201).send(await teamView(context, record));
  });

  registerRecordRoutes(app, context, {
    noun: 'team',
    list: () => context.teams.list(),
    find: (id) => context.teams.find(id),
    updateRequest: updateTeamRequest,
    update: (id, body) => context.teams.update(id, changesOf(body)),
    view: (record) => teamView(context, record),
  });

  app.delete('/teams/:id', async (request) => {
    const record = await context.teams.delete(idOf(request));
    if (!record) throw notFound('team', idOf(request));
    await audit(context, request, 'team.delete', 'team', record.id, { name: record.name });
    return { id: record.id, deleted: true };
  });
}

async function teamView(context: AdminContext, record: TeamRecord): Promise<TeamView> {
  const spend = await context.limits.spend('team', record.name, record.budgetPeriod);
  return {
    id: record.id,
    name: record.name,
    ...limitsView(record, spend.spentUsd),
    metadata: record.metadata,
    guardrails: record.guardrails,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

function changesOf(body: UpdateTeamRequest): Partial<Omit<TeamSettings, 'name'>> {
  const changes: Partial<Omit<TeamSettings, 'name'>> = limitChangesOf(body);
  if (body.metadata !== undefined) changes.metadata = body.metadata;
  if (body.guardrails !== undefined) changes.guardrails = body.guardrails;
  return changes;
}
