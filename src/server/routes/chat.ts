import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseChatRequest } from '../../api/openai/parse-chat-request.ts';
import { formatChatResponse } from '../../api/openai/format-chat-response.ts';
import { createOpenAIStreamFormatter } from '../../api/openai/format-chat-stream.ts';
import { answerHeaders } from '../answer-headers.ts';
import type { GatewayContext } from '../context.ts';
import { headerMetadata } from '../request-metadata.ts';
import { sendEventStream } from '../send-stream.ts';
import { callerOf } from '../caller.ts';

/** POST /v1/chat/completions: OpenAI Chat Completions, plain and streamed. */
export function registerChatRoutes(app: FastifyInstance, context: GatewayContext): void {
  app.post('/v1/chat/completions', { config: { format: 'openai', endpoint: 'chat' } }, async (request, reply) => {
    const record = request.record!;
    const chatRequest = parseChatRequest(request.body, headerMetadata(request));
    const outcome = await context.pipeline.chat(record, chatRequest, clientSignal(reply), callerOf(request));
    if (outcome.kind === 'stream') {
      const body = outcome.events.pipeThrough(createOpenAIStreamFormatter(chatRequest.includeUsage));
      await sendEventStream(reply, answerHeaders(record, outcome.model, false), body, () => outcome.tap.clientClosed());
      return reply;
    }
    const text = formatChatResponse(outcome.result);
    reply.headers(answerHeaders(record, outcome.model, true));
    record.finish(reply.raw.destroyed ? 'client_aborted' : 'ok', 200);
    return reply.code(200).type('application/json').send(text);
  });
}

/**
 * Aborted when the caller goes away before the answer is complete, so the upstream call is
 * cancelled instead of running to completion for nobody.
 */
export function clientSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}
