import type { EmbeddingRequest, EmbeddingResult } from '../../core/embedding.ts';
import { invalidAnswer, isJsonObject, vectorListProblem } from '../_shared/answer-shape.ts';
import { embeddingTexts } from '../_shared/embedding-request.ts';
import { float32Base64 } from '../_shared/float32-base64.ts';
import type { GeminiBatchEmbedResponse } from './wire-types.ts';

/** EmbeddingRequest.inputType → generative_service.proto TaskType. */
const taskTypes: Record<NonNullable<EmbeddingRequest['inputType']>, string> = {
  search_document: 'RETRIEVAL_DOCUMENT',
  search_query: 'RETRIEVAL_QUERY',
  classification: 'CLASSIFICATION',
  clustering: 'CLUSTERING',
};

/**
 * The most EmbedContentRequests one BatchEmbedContentsRequest may hold. Not in the protos: the
 * API answers 400 "BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch"
 * (reported in langchain-ai/langchainjs#4491 and weaviate/weaviate#11277; vercel/ai#16575 caps
 * @ai-sdk/google at 100 for it). Longer input lists are sent in batches of this size.
 */
export const geminiEmbedBatch = 100;

/**
 * EmbeddingRequest → BatchEmbedContentsRequest: one EmbedContentRequest per input, each naming
 * the model again (`models/<model>`, which must equal the URL's, per the proto). Token-id inputs
 * (OpenAI-only) cannot be sent: a 400. `user` has no Gemini field: the adapter warns of it.
 */
export function convertEmbeddingRequest(request: EmbeddingRequest, modelPath: string): Record<string, unknown> {
  embeddingTexts(request, 'Gemini');
  const taskType = request.inputType ? taskTypes[request.inputType] : undefined;
  return {
    requests: request.input.map((text) => ({
      model: modelPath,
      content: { parts: [{ text }] },
      ...(taskType ? { taskType } : {}),
      ...(request.dimensions !== undefined ? { outputDimensionality: request.dimensions } : {}),
    })),
  };
}

/**
 * BatchEmbedContentsResponse → EmbeddingResult. Gemini reports no token usage for embeddings, so
 * the input is counted here at four characters per token (adapters cannot reach the tokenizer in
 * src/tokens) and marked `estimated`. Vectors are floats; when the caller asked for base64 (the
 * openai SDK's default), they are encoded as OpenAI does (_shared/float32-base64.ts).
 */
export function convertEmbeddingResponse(body: GeminiBatchEmbedResponse, request: EmbeddingRequest, model: string, provider: string): EmbeddingResult {
  // BatchEmbedContentsResponse: `embeddings`, one ContentEmbedding per request, whose `values` are the vector.
  const embeddings: unknown = isJsonObject(body) ? body.embeddings : undefined;
  const values = Array.isArray(embeddings) ? embeddings.map((embedding: unknown) => (isJsonObject(embedding) ? embedding.values : undefined)) : embeddings;
  const problem = vectorListProblem(values, { name: 'embeddings', count: request.input.length, entry: (index) => `embeddings[${index}].values` });
  if (problem) throw invalidAnswer(provider, 'a BatchEmbedContentsResponse', problem);
  const vectors = values as number[][];
  return {
    model,
    embeddings: request.encodingFormat === 'base64' ? vectors.map(float32Base64) : vectors,
    usage: { inputTokens: request.input.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0), outputTokens: 0, estimated: true },
  };
}
