import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ApiExchange } from '../api-exchange.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import type { UsageTap } from '../../ledger/usage-tap.ts';
import { parseChatRequest } from '../../api/openai/parse-chat-request.ts';
import { formatChatResponse } from '../../api/openai/format-chat-response.ts';
import { openAIStreamFormatter } from '../../api/openai/format-chat-stream.ts';
import { answerHeaders } from '../answer-headers.ts';
import type { GatewayContext } from '../context.ts';
import { headerMetadata } from '../request-metadata.ts';
import type { StreamEndings } from '../send-stream.ts';
import { callerOf } from '../caller.ts';
import type { SharedSignal } from '../shared-signal.ts';
import { LightAbortController, type AbortSignalLike } from '../../core/abort.ts';

/** POST /v1/chat/completions: OpenAI Chat Completions, plain and streamed. */
export function registerChatRoutes(app: FastifyInstance, context: GatewayContext): void {
  app.apiRoute({
    path: '/v1/chat/completions',
    format: 'openai',
    endpoint: 'chat',
    relayBytes: true,
    async handler(exchange) {
      const record = exchange.record;
      const chatRequest = chatRequestOf(exchange);
      const outcome = await context.pipeline.chat(record, chatRequest, clientSignal(exchange.response, context.shutdown), callerOf(exchange));
      if (outcome.kind === 'stream') {
        const body = outcome.body(openAIStreamFormatter(chatRequest.includeUsage));
        return { kind: 'stream', headers: answerHeaders(record, outcome.model, false), body, endings: streamEndings(outcome.tap, app.log, record.id) };
      }
      return { kind: 'json', model: outcome.model, text: formatChatResponse(outcome.result) };
    },
  });
}

/**
 * The request's ChatRequest. The body's bytes are taken off the exchange: the ChatRequest holds
 * them until a provider call relays them. Not in the route's async function, whose suspended
 * frame kept them (a copy of the whole prompt) until the answer ended (heap snapshots of
 * requests in flight, docs/performance.md).
 */
function chatRequestOf(exchange: ApiExchange): ChatRequest {
  return parseChatRequest(exchange.body, headerMetadata(exchange), exchange.takeBodyBytes());
}

/**
 * Aborted when the caller goes away before the answer is complete, so the upstream call is
 * cancelled instead of running to completion for nobody; and at the SIGTERM drain's deadline
 * (`shutdown`), with its reason, so the request ends with that error instead of being cut.
 */
export function clientSignal(response: ServerResponse, shutdown: SharedSignal): AbortSignalLike {
  const controller = new LightAbortController();
  // A request whose handler starts after the deadline (its body came slowly) ends at once with it.
  if (shutdown.aborted) controller.abort(shutdown.reason);
  const unsubscribe = shutdown.subscribe(() => controller.abort(shutdown.reason));
  response.once('close', () => {
    unsubscribe();
    if (!response.writableFinished) controller.abort(new GatewayError('SB_ERR_CLIENT_CLOSED', 'The client closed the request'));
  });
  return controller.signal;
}

/** A stream's record finishes on the caller leaving, or on a fault after the headers went out. */
export function streamEndings(tap: UsageTap, log: FastifyBaseLogger, requestId: string): StreamEndings {
  return {
    onClientClosed: () => tap.clientClosed(),
    journaled: () => tap.journaled(),
    onFailed: (error) => {
      log.error({ request_id: requestId, err: error }, 'stream failed after its headers were sent');
      tap.failed(error);
    },
  };
}
