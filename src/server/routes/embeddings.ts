import type { FastifyInstance } from 'fastify';
import { formatEmbeddingResponse, parseEmbeddingRequest } from '../../api/openai/embeddings.ts';
import { sendAnswer } from '../send-answer.ts';
import type { GatewayContext } from '../context.ts';
import { headerMetadata } from '../request-metadata.ts';
import { clientSignal } from './chat.ts';
import { callerOf } from '../caller.ts';

/** POST /v1/embeddings: OpenAI embeddings, routed like chat. */
export function registerEmbeddingRoutes(app: FastifyInstance, context: GatewayContext): void {
  app.post('/v1/embeddings', { config: { format: 'openai', endpoint: 'embeddings' } }, async (request, reply) => {
    const record = request.record!;
    const embeddingRequest = parseEmbeddingRequest(request.body, headerMetadata(request));
    const { result, model } = await context.pipeline.embed(record, embeddingRequest, clientSignal(reply, context.shutdown), callerOf(request));
    const text = formatEmbeddingResponse(result);
    return sendAnswer(reply, record, model, text);
  });
}
