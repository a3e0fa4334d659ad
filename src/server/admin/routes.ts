import type { FastifyInstance } from 'fastify';
import type { AdminContext } from './context.ts';

/** /admin/routes: the configured routes (virtual models), as the config file defines them. */
export function registerRouteListing(app: FastifyInstance, context: AdminContext): void {
  app.get('/routes', async () => ({ object: 'list', data: context.routes }));
}
