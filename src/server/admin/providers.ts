import type { FastifyInstance } from 'fastify';
import { audit, idOf, notFound, type AdminContext } from './context.ts';

/**
 * /admin/providers: add a provider at runtime (credentials write-only: stored sealed, never
 * answered back, shown as `api_key_hint`), list config and runtime providers, delete stored runtime ones (loaded or not).
 */
export function registerProviderRoutes(app: FastifyInstance, context: AdminContext): void {
  app.post('/providers', async (request, reply) => {
    const view = await context.providers.add(request.body);
    await audit(context, request, 'provider.create', 'provider', view.id, { type: view.type, base_url: view.base_url, api_key_hint: view.api_key_hint, header_names: view.header_names });
    return reply.code(201).send(view);
  });

  app.get('/providers', async () => ({ object: 'list', data: context.providers.list() }));

  // Removes the stored entry even when it was not loaded (undecryptable, no longer valid, or
  // shadowed by a config provider of that id, which stays: the answer says so).
  app.delete('/providers/:id', async (request) => {
    const id = idOf(request);
    const removed = await context.providers.remove(id);
    if (!removed) throw notFound('runtime provider', id);
    await audit(context, request, 'provider.delete', 'provider', id, { loaded: removed.loaded, ...(removed.configProviderKept ? { config_provider_kept: true } : {}) });
    if (!removed.configProviderKept) return { id, deleted: true };
    return { id, deleted: true, config_provider_kept: true, message: `Removed the stored runtime provider "${id}"; the config file's provider "${id}" stays.` };
  });
}
