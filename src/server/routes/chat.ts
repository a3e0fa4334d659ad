import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import type { UsageTap } from '../../ledger/usage-tap.ts';
import { parseChatRequest } from '../../api/openai/parse-chat-request.ts';
import { formatChatResponse } from '../../api/openai/format-chat-response.ts';
import { openAIStreamFormatter } from '../../api/openai/format-chat-stream.ts';
import { answerHeaders } from '../answer-headers.ts';
import { sendAnswer } from '../send-answer.ts';
import type { GatewayContext } from '../context.ts';
import { headerMetadata } from '../request-metadata.ts';
import { sendEventStream, type StreamEndings } from '../send-stream.ts';
import { callerOf } from '../caller.ts';
import type { SharedSignal } from '../shared-signal.ts';
import { LightAbortController, type AbortSignalLike } from '../../core/abort.ts';

/** POST /v1/chat/completions: OpenAI Chat Completions, plain and streamed. */
export function registerChatRoutes(app: FastifyInstance, context: GatewayContext): void {
  app.post('/v1/chat/completions', { config: { format: 'openai', endpoint: 'chat', relayBytes: true } }, async (request, reply) => {
    const record = request.record!;
    const chatRequest = chatRequestOf(request);
    const outcome = await context.pipeline.chat(record, chatRequest, clientSignal(reply, context.shutdown), callerOf(request));
    if (outcome.kind === 'stream') {
      const body = outcome.body(openAIStreamFormatter(chatRequest.includeUsage));
      await sendEventStream(reply, answerHeaders(record, outcome.model, false), body, streamEndings(outcome.tap, request.log, record.id));
      return reply;
    }
    const text = formatChatResponse(outcome.result);
    return sendAnswer(reply, record, outcome.model, text);
  });
}

/**
 * The request's ChatRequest. The body's bytes are taken off the request: the ChatRequest holds
 * them until a provider call relays them. Not in the route's async function, whose suspended
 * frame kept them (a copy of the whole prompt) until the answer ended (heap snapshots of
 * requests in flight, docs/performance.md).
 */
function chatRequestOf(request: FastifyRequest): ChatRequest {
  const bytes = request.bodyBytes ?? undefined;
  request.bodyBytes = null;
  return parseChatRequest(request.body, headerMetadata(request), bytes);
}

/**
 * Aborted when the caller goes away before the answer is complete, so the upstream call is
 * cancelled instead of running to completion for nobody; and at the SIGTERM drain's deadline
 * (`shutdown`), with its reason, so the request ends with that error instead of being cut.
 */
export function clientSignal(reply: FastifyReply, shutdown: SharedSignal): AbortSignalLike {
  const controller = new LightAbortController();
  // A request whose handler starts after the deadline (its body came slowly) ends at once with it.
  if (shutdown.aborted) controller.abort(shutdown.reason);
  const unsubscribe = shutdown.subscribe(() => controller.abort(shutdown.reason));
  reply.raw.once('close', () => {
    unsubscribe();
    if (!reply.raw.writableFinished) controller.abort(new GatewayError('SB_ERR_CLIENT_CLOSED', 'The client closed the request'));
  });
  return controller.signal;
}

/** A stream's record finishes on the caller leaving, or on a fault after the headers went out. */
export function streamEndings(tap: UsageTap, log: FastifyBaseLogger, requestId: string): StreamEndings {
  return {
    onClientClosed: () => tap.clientClosed(),
    onFailed: (error) => {
      log.error({ request_id: requestId, err: error }, 'stream failed after its headers were sent');
      tap.failed(error);
    },
  };
}
