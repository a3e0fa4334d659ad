import type { FastifyInstance } from 'fastify';
import { formatEmbeddingResponse, parseEmbeddingRequest } from '../../api/openai/embeddings.ts';
import type { GatewayContext } from '../context.ts';
import { headerMetadata } from '../request-metadata.ts';
import { clientSignal } from './chat.ts';
import { callerOf } from '../caller.ts';

/** POST /v1/embeddings: OpenAI embeddings, routed like chat. */
export function registerEmbeddingRoutes(app: FastifyInstance, context: GatewayContext): void {
  app.apiRoute({
    path: '/v1/embeddings',
    format: 'openai',
    endpoint: 'embeddings',
    async handler(exchange) {
      const embeddingRequest = parseEmbeddingRequest(exchange.body, headerMetadata(exchange));
      const { result, model } = await context.pipeline.embed(exchange.record, embeddingRequest, clientSignal(exchange.response, context.shutdown), callerOf(exchange));
      return { kind: 'json', model, text: formatEmbeddingResponse(result) };
    },
  });
}
