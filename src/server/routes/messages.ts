import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ChatRequest } from '../../core/chat-request.ts';
import { formatMessagesResponse } from '../../api/anthropic/format-messages-response.ts';
import { anthropicStreamFormatter } from '../../api/anthropic/format-messages-stream.ts';
import { parseCountTokensRequest, parseMessagesRequest } from '../../api/anthropic/parse-messages-request.ts';
import { countPromptTokens } from '../../tokens/count.ts';
import { callerOf } from '../caller.ts';
import type { GatewayContext } from '../context.ts';
import { headerMetadata } from '../request-metadata.ts';
import type { ApiAnswer } from '../api-exchange.ts';
import { clientSignal, streamAnswer } from './chat.ts';

/**
 * POST /v1/messages: the Anthropic Messages API, plain and streamed, in front of every model
 * (docs/anthropic-ingress.md). Authenticated by Bearer or `x-api-key`; errors, those raised
 * before the handler included, take Anthropic's shape through the route's `format`.
 */
export function registerMessageRoutes(app: FastifyInstance, context: GatewayContext): void {
  app.apiRoute({
    path: '/v1/messages',
    format: 'anthropic',
    endpoint: 'messages',
    apiKeyHeader: true,
    // Not an async function, as chat's handler (chat.ts).
    handler(exchange) {
      const record = exchange.record;
      const chatRequest = withProtocolHeaders(parseMessagesRequest(exchange.body, headerMetadata(exchange)), exchange.headers);
      const signal = clientSignal(exchange.response, context.shutdown);
      return context.pipeline.chat(record, chatRequest, signal, callerOf(exchange)).then((outcome): ApiAnswer => {
        if (outcome.kind === 'stream') return streamAnswer(outcome, anthropicStreamFormatter(chatRequest.stop), record, app.log, signal);
        return { kind: 'json', model: outcome.model, text: formatMessagesResponse(outcome.result, chatRequest.stop) };
      });
    },
  });

  // Token counting calls no provider: the prompt is counted locally (o200k_base, an estimate for
  // non-OpenAI models; src/tokens/count.ts), so it is authenticated but not billable. The model is
  // checked as /v1/messages checks it: Anthropic answers 404 not_found_error for an unknown one.
  app.post('/v1/messages/count_tokens', { config: { format: 'anthropic', apiKeyHeader: true } }, async (request, reply) => {
    const chatRequest = parseCountTokensRequest(request.body);
    context.pipeline.checkModel(chatRequest, callerOf(request));
    return reply.code(200).type('application/json').send(JSON.stringify({ input_tokens: countPromptTokens(chatRequest) }));
  });
}

/** Keeps the caller's anthropic-version / anthropic-beta with the native body, for passthrough. */
function withProtocolHeaders(chatRequest: ChatRequest, headers: IncomingHttpHeaders): ChatRequest {
  const protocol: Record<string, string> = {};
  for (const name of ['anthropic-version', 'anthropic-beta']) {
    const value = headers[name];
    if (typeof value === 'string' && value !== '') protocol[name] = value;
  }
  if (!chatRequest.native || Object.keys(protocol).length === 0) return chatRequest;
  // The request is ours, just parsed: given its native headers in place (a copy by spread took
  // V8 11.3's slow path on Node 20; docs/performance.md).
  chatRequest.native = Object.assign({}, chatRequest.native, { headers: protocol });
  return chatRequest;
}
