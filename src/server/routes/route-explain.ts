import type { FastifyInstance } from 'fastify';
import { parseMessagesRequest } from '../../api/anthropic/parse-messages-request.ts';
import { parseChatRequest } from '../../api/openai/parse-chat-request.ts';
import { callerOf } from '../caller.ts';
import type { GatewayContext } from '../context.ts';
import { headerMetadata } from '../request-metadata.ts';

/**
 * POST /v1/route/explain: the routing decision a chat completions body would get, and why,
 * without calling a provider (and so without a ledger row: nothing is spent). With an
 * `anthropic-version` header, which Anthropic's clients send and OpenAI's never do, the body is
 * an Anthropic Messages one, read as /v1/messages reads it (docs/routing.md): read as a chat
 * body, its `system` went uncounted, its images and tools were a 400, and `metadata.user_id`
 * did not pick the split arm /v1/messages gives (an outside probe).
 */
export function registerRouteExplainRoutes(app: FastifyInstance, context: GatewayContext): void {
  // `x-api-key` too: Anthropic's clients authenticate with it (as on /v1/messages).
  app.post('/v1/route/explain', { config: { format: 'openai', apiKeyHeader: true } }, async (request) => {
    const metadata = headerMetadata(request);
    const anthropic = typeof request.headers['anthropic-version'] === 'string';
    const chatRequest = anthropic ? parseMessagesRequest(request.body, metadata) : parseChatRequest(request.body, metadata);
    return context.pipeline.explain(chatRequest, callerOf(request));
  });
}
