import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.ts';

/** Health and metrics endpoints: unauthenticated, as load balancers and scrapers expect. */
export function registerOperationRoutes(app: FastifyInstance, context: GatewayContext): void {
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    if (context.isDraining()) return reply.code(503).send({ status: 'draining' });
    try {
      await context.pingStorage();
      // Storage that answers but cannot take ledger rows (a full disk, a read-only file) is not
      // ready: requests would be served without being recorded (issue 13, defect 10).
      const problem = context.ledgerProblem();
      if (problem) return reply.code(503).send({ status: 'unavailable', reason: `ledger: ${problem}` });
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
