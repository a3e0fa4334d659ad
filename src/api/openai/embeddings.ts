import { z } from 'zod';
import type { EmbeddingRequest, EmbeddingResult } from '../../core/embedding.ts';
import { GatewayError } from '../../core/errors.ts';
import { checkFieldNames } from '../field-names.ts';
import { checkMetadataLimits } from '../metadata-limits.ts';
import { modelName } from '../model-name.ts';
import { parseBody } from '../validation.ts';
import { chatRequestSchema } from './chat-request-schema.ts';
import { embeddingFieldPolicy } from './request-fields.ts';
import { routingHints } from './routing-hints.ts';

/**
 * OpenAI's limit on the tokens of one embeddings request, summed over its inputs
 * (CreateEmbeddingRequest.input: "all embedding models enforce a maximum of 300,000 tokens summed
 * across all inputs in a single request"):
 * the cap of a token-id array, checked before any element is read (src/api/validation.ts).
 */
const maxInputTokens = 300_000;

/**
 * OpenAI's cap on the inputs of one request (CreateEmbeddingRequest.input: "any array must be 2048
 * dimensions or less", `maxItems: 2048`). The message covers the flat token-id array too: an array
 * too long for every option is refused before any element is read, whatever its elements are.
 */
const maxInputs = 2048;
const tooManyInputs = `too many items: at most ${maxInputs} inputs (strings or token arrays), or ${maxInputTokens} token ids`;

/**
 * One text input: the spec says the input "cannot be an empty string", and an array of strings is
 * several inputs ("To embed multiple inputs in a single request, pass an array of strings"), so
 * each of them is held to it.
 */
const textInput = z.string().min(1, 'must not be an empty string');

/**
 * OpenAI CreateEmbeddingRequest (../shared/specs/openai/openapi.yaml), loose at the top level.
 * Token ids are `type: integer` with no minimum in the spec: a negative id is not refused here.
 */
const embeddingRequestSchema = z
  .object({
    model: modelName(z.string({ error: 'you must provide a model parameter' }).min(1, 'you must provide a model parameter')),
    input: z.union([
      z.string(),
      z.array(textInput).min(1).max(maxInputs, tooManyInputs),
      // The spec gives this array `maxItems: 2048` too, but one token array is one input, of up to
      // the model's 8192 tokens: the cap stays the request's 300,000 tokens.
      z.array(z.number().int()).min(1).max(maxInputTokens, tooManyInputs),
      z.array(z.array(z.number().int()).min(1).max(maxInputTokens)).min(1).max(maxInputs, tooManyInputs),
    ]),
    encoding_format: z.enum(['float', 'base64']).nullish(),
    dimensions: z.number().int().positive().nullish(),
    user: z.string().nullish(),
    input_type: z.enum(['search_document', 'search_query', 'classification', 'clustering']).nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
    // OpenRouter's routing hints, as on chat (an outside probe: "routed like chat", they were a 400).
    models: chatRequestSchema.shape.models,
    provider: chatRequestSchema.shape.provider,
  })
  .loose();

/** Fields that route the request or say what it is for, never sent to a provider as they are. */
const routingFields = ['metadata', 'input_type', 'models', 'provider'] as const;

/** OpenAI embeddings body → EmbeddingRequest, or a 400. */
export function parseEmbeddingRequest(body: unknown, headerMetadata: Record<string, string>): EmbeddingRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', 'The request body must be a JSON object.');
  }
  checkFieldNames(body as Record<string, unknown>, embeddingFieldPolicy);
  const request = parseBody(embeddingRequestSchema, body);
  checkMetadataLimits(request.metadata, 'metadata');
  if (typeof request.input === 'string' && request.input === '') {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', "'input' must not be an empty string.", { param: 'input' });
  }
  const hints = routingHints(request);
  const native = { ...(body as Record<string, unknown>) };
  for (const field of routingFields) delete native[field];
  // A null option is taken as absent (the schema's nullish()), and not sent on: OpenAI refuses
  // it (openapi.yaml CreateEmbeddingRequest types encoding_format, dimensions and user without null).
  for (const field of ['encoding_format', 'dimensions', 'user'] as const) if (native[field] === null) delete native[field];
  // Token-id inputs are only meaningful to OpenAI-style providers: they stay in `native`.
  const input = typeof request.input === 'string' ? [request.input] : request.input.every((item) => typeof item === 'string') ? (request.input as string[]) : [];
  const tokenIds = typeof request.input === 'string' ? 0 : countTokenIds(request.input);
  return {
    model: request.model,
    input,
    ...(tokenIds > 0 ? { inputTokenIds: tokenIds } : {}),
    ...(request.dimensions != null ? { dimensions: request.dimensions } : {}),
    ...(request.encoding_format ? { encodingFormat: request.encoding_format } : {}),
    ...(request.user ? { user: request.user } : {}),
    ...(request.input_type ? { inputType: request.input_type } : {}),
    metadata: { ...headerMetadata, ...(request.metadata ?? {}) },
    ...(hints.models || hints.provider ? { hints } : {}),
    native: { format: 'openai-embeddings', body: native },
  };
}

/** The token ids among the inputs: a flat array of ids, or arrays of them (strings count none). */
function countTokenIds(input: ReadonlyArray<unknown>): number {
  let ids = 0;
  for (const item of input) {
    if (typeof item === 'number') ids += 1;
    else if (Array.isArray(item)) ids += item.length;
  }
  return ids;
}

/** EmbeddingResult → OpenAI's list body (the provider's own body when it is already one). */
export function formatEmbeddingResponse(result: EmbeddingResult): string {
  if (result.native?.format === 'openai-embeddings') return result.native.body;
  return JSON.stringify({
    object: 'list',
    data: result.embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model: result.model,
    usage: { prompt_tokens: result.usage.inputTokens, total_tokens: result.usage.inputTokens },
  });
}
