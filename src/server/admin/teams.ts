import type { FastifyInstance } from 'fastify';
import type { TeamRecord } from '../../core/stores.ts';
import type { TeamSettings } from '../../keys/teams.ts';
import { audit, checkGuardrails, idOf, notFound, parseWith, type AdminContext } from './context.ts';
import { createTeamRequest, updateTeamRequest, type TeamView, type UpdateTeamRequest } from './contract.ts';

/** /admin/teams: budgets, limits, models and guardrails shared by the keys that name the team. */
export function registerTeamRoutes(app: FastifyInstance, context: AdminContext): void {
  app.post('/teams', async (request, reply) => {
    const body = parseWith(createTeamRequest, request.body, 'team');
    checkGuardrails(context, body.guardrails);
    const record = await context.teams.create(
      {
        name: body.name,
        models: body.models ?? null,
        budgetUsd: body.budget_usd ?? null,
        budgetPeriod: body.budget_period ?? 'total',
        rpm: body.rpm ?? null,
        tpm: body.tpm ?? null,
        modelLimits: body.model_limits ?? {},
        metadata: body.metadata ?? {},
        guardrails: body.guardrails ?? [],
      },
      body.id,
    );
    await audit(context, request, 'team.create', 'team', record.id, { name: record.name, budget_usd: record.budgetUsd, budget_period: record.budgetPeriod, rpm: record.rpm, tpm: record.tpm });
    return reply.code(201).send(await teamView(context, record));
  });

  app.get('/teams', async () => {
    const records = await context.teams.list();
    return { object: 'list', data: await Promise.all(records.map((record) => teamView(context, record))) };
  });

  app.get('/teams/:id', async (request) => {
    const record = await context.teams.find(idOf(request));
    if (!record) throw notFound('team', idOf(request));
    return teamView(context, record);
  });

  app.patch('/teams/:id', async (request) => {
    const body = parseWith(updateTeamRequest, request.body, 'team update');
    checkGuardrails(context, body.guardrails);
    const record = await context.teams.update(idOf(request), changesOf(body));
    if (!record) throw notFound('team', idOf(request));
    await audit(context, request, 'team.update', 'team', record.id, { changed: body });
    return teamView(context, record);
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
    models: record.models,
    budget_usd: record.budgetUsd,
    budget_period: record.budgetPeriod,
    spent_usd: spend.spentUsd,
    rpm: record.rpm,
    tpm: record.tpm,
    model_limits: record.modelLimits,
    metadata: record.metadata,
    guardrails: record.guardrails,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

function changesOf(body: UpdateTeamRequest): Partial<Omit<TeamSettings, 'name'>> {
  const changes: Partial<Omit<TeamSettings, 'name'>> = {};
  if (body.models !== undefined) changes.models = body.models;
  if (body.budget_usd !== undefined) changes.budgetUsd = body.budget_usd;
  if (body.budget_period !== undefined) changes.budgetPeriod = body.budget_period;
  if (body.rpm !== undefined) changes.rpm = body.rpm;
  if (body.tpm !== undefined) changes.tpm = body.tpm;
  if (body.model_limits !== undefined) changes.modelLimits = body.model_limits;
  if (body.metadata !== undefined) changes.metadata = body.metadata;
  if (body.guardrails !== undefined) changes.guardrails = body.guardrails;
  return changes;
}
