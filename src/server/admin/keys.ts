import type { FastifyInstance } from 'fastify';
import type { VirtualKeyRecord } from '../../core/stores.ts';
import type { KeySettings } from '../../keys/virtual-keys.ts';
import { audit, checkGuardrails, idOf, notFound, parseWith, type AdminContext } from './context.ts';
import { createKeyRequest, updateKeyRequest, type IssuedKeyView, type KeyView, type UpdateKeyRequest } from './contract.ts';
import { limitChangesOf, limitSettingsOf, limitsView } from './limit-fields.ts';
import { registerRecordRoutes } from './record-routes.ts';

/** /admin/keys: create (secret shown once), list, get, update, revoke (DELETE), rotate. */
export function registerKeyRoutes(app: FastifyInstance, context: AdminContext): void {
  app.post('/keys', async (request, reply) => {
    const body = parseWith(createKeyRequest, request.body, 'key');
    checkGuardrails(context, body.guardrails);
    const issued = await context.keys.create({
      name: body.name,
      team: body.team ?? null,
      ...limitSettingsOf(body),
      expiresAt: body.expires_at ?? null,
      metadata: body.metadata ?? {},
      guardrails: body.guardrails ?? [],
    });
    await audit(context, request, 'key.create', 'key', issued.record.id, describe(issued.record));
    const answer: IssuedKeyView = { ...(await keyView(context, issued.record)), key: issued.secret };
    return reply.code(201).send(answer);
  });

  registerRecordRoutes(app, context, {
    noun: 'key',
    list: () => context.keys.list(),
    find: (id) => context.keys.get(id),
    updateRequest: updateKeyRequest,
    update: (id, body) => context.keys.update(id, changesOf(body)),
    view: (record) => keyView(context, record),
  });

  // DELETE revokes rather than erases: the key's ledger rows keep pointing at a known key.
  app.delete('/keys/:id', async (request) => {
    const record = await context.keys.revoke(idOf(request));
    if (!record) throw notFound('key', idOf(request));
    await audit(context, request, 'key.revoke', 'key', record.id, { name: record.name });
    return keyView(context, record);
  });

  app.post('/keys/:id/rotate', async (request) => {
    const issued = await context.keys.rotate(idOf(request));
    if (!issued) throw notFound('key', idOf(request));
    await audit(context, request, 'key.rotate', 'key', issued.record.id, { name: issued.record.name, key_hint: issued.record.keyHint });
    const answer: IssuedKeyView = { ...(await keyView(context, issued.record)), key: issued.secret };
    return answer;
  });
}

/** A key as the admin API shows it, with its spend in the current budget period. */
export async function keyView(context: AdminContext, record: VirtualKeyRecord): Promise<KeyView> {
  const spend = await context.limits.spend('key', record.id, record.budgetPeriod);
  return {
    id: record.id,
    name: record.name,
    team: record.team,
    ...limitsView(record, spend.spentUsd),
    expires_at: record.expiresAt,
    metadata: record.metadata,
    guardrails: record.guardrails,
    revoked: record.revoked,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    key_hint: record.keyHint,
  };
}

/** Only the fields the PATCH body sets; `null` clears a limit. */
function changesOf(body: UpdateKeyRequest): Partial<KeySettings> {
  const changes: Partial<KeySettings> = limitChangesOf(body);
  if (body.name !== undefined) changes.name = body.name;
  if (body.team !== undefined) changes.team = body.team;
  if (body.expires_at !== undefined) changes.expiresAt = body.expires_at;
  if (body.metadata !== undefined) changes.metadata = body.metadata;
  if (body.guardrails !== undefined) changes.guardrails = body.guardrails;
  return changes;
}

/** What the audit log keeps of a key: its settings, never its hash or secret. */
function describe(record: VirtualKeyRecord): Record<string, unknown> {
  return {
    name: record.name,
    team: record.team,
    models: record.models,
    budget_usd: record.budgetUsd,
    budget_period: record.budgetPeriod,
    rpm: record.rpm,
    tpm: record.tpm,
    expires_at: record.expiresAt,
    key_hint: record.keyHint,
  };
}
