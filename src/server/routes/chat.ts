import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Transformer } from 'node:stream/web';
import type { ApiAnswer, ApiExchange } from '../api-exchange.ts';
import type { ChatOutcome } from '../../pipeline.ts';
import type { RequestRecord } from '../../ledger/request-record.ts';
import type { StreamEvent } from '../../core/stream-event.ts';
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
    // Not an async function: its frame, suspended for the provider's whole answer time, kept the
    // exchange and the request (executeChat's comment, src/router/execute.ts).
    handler(exchange) {
      const record = exchange.record;
      const chatRequest = chatRequestOf(exchange);
      const includeUsage = chatRequest.includeUsage;
      const signal = clientSignal(exchange.response, context.shutdown);
      return context.pipeline.chat(record, chatRequest, signal, callerOf(exchange)).then((outcome): ApiAnswer => {
        if (outcome.kind === 'stream') return streamAnswer(outcome, openAIStreamFormatter(includeUsage), record, app.log, signal);
        return { kind: 'json', model: outcome.model, text: formatChatResponse(outcome.result) };
      });
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
  // `on`, not `once`: a response closes once, and `once` wraps the listener in an object and a
  // bound function that every request kept until its answer ended (bench/held.ts).
  response.on('close', () => {
    unsubscribe();
    if (!response.writableFinished) controller.abort(new GatewayError('SB_ERR_CLIENT_CLOSED', 'The client closed the request'));
  });
  return controller.signal;
}

/** A streamed outcome's answer: its events in the caller's format (`formatter`), with the headers and the record's endings. */
export function streamAnswer(
  outcome: Extract<ChatOutcome, { kind: 'stream' }>,
  formatter: Transformer<StreamEvent, string>,
  record: RequestRecord,
  log: FastifyBaseLogger,
  signal: AbortSignalLike,
): ApiAnswer {
  const body = outcome.body(formatter);
  return { kind: 'stream', headers: answerHeaders(record, outcome.model, false), body, endings: streamEndings(outcome.tap, log, record.id, signal) };
}

/**
 * A stream's record finishes on the caller leaving, or on a fault after the headers went out;
 * `signal` (the request's: the caller leaving, the drain deadline) also ends a wait for a slow reader.
 */
export function streamEndings(tap: UsageTap, log: FastifyBaseLogger, requestId: string, signal?: AbortSignalLike): StreamEndings {
  return {
    ...(signal ? { interrupted: signal } : {}),
    onClientClosed: () => tap.clientClosed(),
    journaled: () => tap.journaled(),
    onFailed: (error) => {
      log.error({ request_id: requestId, err: error }, 'stream failed after its headers were sent');
      tap.failed(error);
    },
  };
}
