import type { FastifyInstance } from 'fastify';
import { parseChatRequest } from '../../api/openai/parse-chat-request.ts';
import { callerOf } from '../caller.ts';
import type { GatewayContext } from '../context.ts';
import { headerMetadata } from '../request-metadata.ts';

/**
 * POST /v1/route/explain: the routing decision a chat completions body would get, and why,
 * without calling a provider (and so without a ledger row: nothing is spent).
 */
export function registerRouteExplainRoutes(app: FastifyInstance, context: GatewayContext): void {
  app.post('/v1/route/explain', { config: { format: 'openai' } }, async (request) => {
    const chatRequest = parseChatRequest(request.body, headerMetadata(request));
    return context.pipeline.explain(chatRequest, callerOf(request));
  });
}
