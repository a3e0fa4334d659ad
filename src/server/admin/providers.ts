import type { FastifyInstance } from 'fastify';
import { audit, idOf, notFound, type AdminContext } from './context.ts';

/**
 * /admin/providers: add a provider at runtime (credentials write-only: stored sealed, never
 * answered back, shown as `api_key_hint`), list config and runtime providers, delete runtime ones.
 */
export function registerProviderRoutes(app: FastifyInstance, context: AdminContext): void {
  app.post('/providers', async (request, reply) => {
    const view = await context.providers.add(request.body);
    await audit(context, request, 'provider.create', 'provider', view.id, { type: view.type, base_url: view.base_url, api_key_hint: view.api_key_hint, header_names: view.header_names });
    return reply.code(201).send(view);
  });

  app.get('/providers', async () => ({ object: 'list', data: context.providers.list() }));

  app.delete('/providers/:id', async (request) => {
    const removed = await context.providers.remove(idOf(request));
    if (!removed) throw notFound('runtime provider', idOf(request));
    await audit(context, request, 'provider.delete', 'provider', idOf(request));
    return { id: idOf(request), deleted: true };
  });
}
