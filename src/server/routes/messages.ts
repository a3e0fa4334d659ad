import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ChatRequest } from '../../core/chat-request.ts';
import { formatMessagesResponse } from '../../api/anthropic/format-messages-response.ts';
import { anthropicStreamFormatter } from '../../api/anthropic/format-messages-stream.ts';
import { parseCountTokensRequest, parseMessagesRequest } from '../../api/anthropic/parse-messages-request.ts';
import { countPromptTokens } from '../../tokens/count.ts';
import { answerHeaders } from '../answer-headers.ts';
import { sendAnswer } from '../send-answer.ts';
import { callerOf } from '../caller.ts';
import type { GatewayContext } from '../context.ts';
import { headerMetadata } from '../request-metadata.ts';
import { sendEventStream } from '../send-stream.ts';
import { clientSignal, streamEndings } from './chat.ts';

/**
 * POST /v1/messages: the Anthropic Messages API, plain and streamed, in front of every model
 * (docs/anthropic-ingress.md). Authenticated by Bearer or `x-api-key`; errors, those raised
 * before the handler included, take Anthropic's shape through the route's `format`.
 */
export function registerMessageRoutes(app: FastifyInstance, context: GatewayContext): void {
  app.post('/v1/messages', { config: { format: 'anthropic', endpoint: 'messages', apiKeyHeader: true } }, async (request, reply) => {
    const record = request.record!;
    // Anthropic's SDKs read the request id from `request-id` (APIError.requestID, `_request_id`).
    reply.header('request-id', request.id);
    const chatRequest = withProtocolHeaders(parseMessagesRequest(request.body, headerMetadata(request)), request.headers);
    const outcome = await context.pipeline.chat(record, chatRequest, clientSignal(reply, context.shutdown), callerOf(request));
    if (outcome.kind === 'stream') {
      const body = outcome.body(anthropicStreamFormatter());
      await sendEventStream(reply, answerHeaders(record, outcome.model, false), body, streamEndings(outcome.tap, request.log, record.id));
      return reply;
    }
    const text = formatMessagesResponse(outcome.result);
    return sendAnswer(reply, record, outcome.model, text);
  });

  // Token counting calls no provider: the prompt is counted locally (o200k_base, an estimate for
  // non-OpenAI models; src/tokens/count.ts), so it is authenticated but not billable.
  app.post('/v1/messages/count_tokens', { config: { format: 'anthropic', apiKeyHeader: true } }, async (request, reply) => {
    const chatRequest = parseCountTokensRequest(request.body);
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
  return { ...chatRequest, native: { ...chatRequest.native, headers: protocol } };
}
