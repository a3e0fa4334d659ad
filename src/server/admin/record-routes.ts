import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { audit, checkGuardrails, idOf, notFound, parseWith, type AdminContext } from './context.ts';

/** How the admin API lists, reads and updates one kind of record (keys, teams). */
export interface AdminCollection<Stored extends { id: string }, UpdateBody extends { guardrails?: string[] }> {
  /** Routes `/{noun}s` and `/{noun}s/:id`, audit action `{noun}.update`, "No {noun} with id …". */
  noun: 'key' | 'team';
  list(): Promise<Stored[]>;
  find(id: string): Promise<Stored | undefined>;
  updateRequest: z.ZodType<UpdateBody>;
  /** Applies a parsed PATCH body; undefined when there is no such record. */
  update(id: string, body: UpdateBody): Promise<Stored | undefined>;
  view(record: Stored): Promise<unknown>;
}

/**
 * GET /{noun}s, GET /{noun}s/:id and PATCH /{noun}s/:id: a 404 for an unknown id, the guardrail
 * names of an update checked against the config, and every update audited with its body.
 */
export function registerRecordRoutes<Stored extends { id: string }, UpdateBody extends { guardrails?: string[] }>(
  app: FastifyInstance,
  context: AdminContext,
  collection: AdminCollection<Stored, UpdateBody>,
): void {
  const { noun } = collection;
  app.get(`/${noun}s`, async () => {
    const records = await collection.list();
    return { object: 'list', data: await Promise.all(records.map((record) => collection.view(record))) };
  });

  app.get(`/${noun}s/:id`, async (request) => {
    const record = await collection.find(idOf(request));
    if (!record) throw notFound(noun, idOf(request));
    return collection.view(record);
  });

  app.patch(`/${noun}s/:id`, async (request) => {
    const body = parseWith(collection.updateRequest, request.body, `${noun} update`);
    checkGuardrails(context, body.guardrails);
    const record = await collection.update(idOf(request), body);
    if (!record) throw notFound(noun, idOf(request));
    await audit(context, request, `${noun}.update`, noun, record.id, { changed: body });
    return collection.view(record);
  });
}
