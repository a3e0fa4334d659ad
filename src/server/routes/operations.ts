import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.ts';

/** Health and metrics endpoints: unauthenticated, as load balancers and scrapers expect. */
export function registerOperationRoutes(app: FastifyInstance, context: GatewayContext): void {
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    if (context.isDraining()) return reply.code(503).send({ status: 'draining' });
    try {
      await context.pingStorage();
      return { status: 'ready' };
    } catch (error) {
      return reply.code(503).send({ status: 'unavailable', reason: `storage: ${error instanceof Error ? error.message : String(error)}` });
    }
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await context.metricsRegistry.metrics();
    return reply.type(context.metricsRegistry.contentType).send(text);
  });
}
