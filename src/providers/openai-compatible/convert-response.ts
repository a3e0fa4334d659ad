import { randomUUID } from 'node:crypto';
import type { ChatResult, FinishReason } from '../../core/chat-result.ts';
import type { Usage } from '../../core/usage.ts';
import { isJsonObject, vectorListProblem } from '../_shared/answer-shape.ts';
import type { OpenAIChatBody, OpenAIUsage } from './wire-types.ts';

/**
 * What keeps a 200 body from being a chat completion, or undefined when it is one
 * (../shared/specs/openai/openapi.yaml CreateChatCompletionResponse: `choices` is required, and
 * each choice requires a `message`). Only that much is asked: a message may hold no content
 * (`content: null` with tool calls, an empty string, reasoning only). A choice cut by a content
 * filter is let through without a message, as some servers (Azure) send it.
 */
export function chatCompletionProblem(body: unknown): string | undefined {
  if (!isJsonObject(body)) return 'it is not a JSON object';
  const choices = body.choices;
  if (!Array.isArray(choices) || choices.length === 0) return '"choices" is not a non-empty array';
  const index = choices.findIndex((choice: unknown) => !isJsonObject(choice) || (!isJsonObject(choice.message) && choice.finish_reason !== 'content_filter'));
  return index === -1 ? undefined : `choices[${index}] has no "message" object`;
}

/**
 * What keeps a 200 body from being an embeddings list, or undefined when it is one (openapi.yaml
 * CreateEmbeddingResponse: `data` of Embedding objects, whose `embedding` is a list of floats or,
 * with `encoding_format: "base64"`, a string; `base64: false` for callers that asked for floats
 * and read them as such). `inputs` is the number of texts sent, 0 when unknown (token-id inputs).
 */
export function embeddingListProblem(body: unknown, inputs: number, base64 = true): string | undefined {
  if (!isJsonObject(body)) return 'it is not a JSON object';
  if (!Array.isArray(body.data)) return '"data" is not an array';
  const vectors = body.data.map((item: unknown) => (isJsonObject(item) ? item.embedding : undefined));
  return vectorListProblem(vectors, { name: 'data', count: inputs, base64, entry: (index) => `data[${index}].embedding` });
}

/** OpenAI Chat Completions body → ChatResult (first choice; `native` keeps all choices). */
export function convertResponse(body: OpenAIChatBody, requestedModel: string, reportsCost = false): Omit<ChatResult, 'warnings' | 'native'> {
  const choice = body.choices?.[0];
  const message = choice?.message ?? {};
  const content: ChatResult['content'] = [];
  // `||`: a server sending both may leave one empty (an empty reasoning_content beside the reasoning).
  const reasoning = message.reasoning_content || message.reasoning;
  if (reasoning) content.push({ type: 'reasoning', text: reasoning });
  if (message.content) content.push({ type: 'text', text: message.content });
  if (message.refusal) content.push({ type: 'refusal', text: message.refusal });
  for (const call of message.tool_calls ?? []) {
    content.push({
      type: 'tool-call',
      id: call.id ?? `call_${randomUUID().replaceAll('-', '')}`,
      name: call.function?.name ?? '',
      arguments: call.function?.arguments ?? '',
    });
  }
  // Property by property, not `{ ...completionHeader(), content, … }`: on Node 20 (V8 11.3) a
  // literal that spreads an object and adds properties takes a slow path, about 2 µs, whose result
  // is allocated where only a major collection frees it (docs/performance.md, eleventh session).
  const header = completionHeader(body, requestedModel);
  const result: Omit<ChatResult, 'warnings' | 'native'> = {
    id: header.id,
    model: header.model,
    created: header.created,
    content,
    finishReason: mapFinishReason(choice?.finish_reason),
    usage: convertUsage(body.usage, reportsCost),
  };
  if (choice?.finish_reason) result.rawFinishReason = choice.finish_reason;
  return result;
}

/**
 * The id, model and creation time of a completion or chunk (`chat.completion`'s `id`, `model`,
 * `created`), made up where the body leaves them out: `chatcmpl-<uuid>`, the model called, now.
 */
export function completionHeader(
  body: { id?: string | null; model?: string | null; created?: number | null },
  requestedModel: string,
): { id: string; model: string; created: number } {
  return {
    id: body.id ?? `chatcmpl-${randomUUID()}`,
    model: body.model ?? requestedModel,
    created: body.created ?? Math.floor(Date.now() / 1000),
  };
}

/**
 * OpenAI `finish_reason` → unified reason, with the values compatible servers add: Together's
 * `eos` (the model's end-of-sequence token, a natural stop: `FinishReason` in
 * togethercomputer/together-python src/together/types/common.py), DeepSeek's
 * `insufficient_system_resource` (the request was interrupted because its inference system ran
 * short: api-docs.deepseek.com/api/create-chat-completion; `FinishReason` of the ds-api crate,
 * docs.rs/crate/ds-api src/raw/response/non_streaming/finish_reason.rs) and OpenRouter's `error` (the model failed
 * while answering, openrouter.ai/docs/api/reference/errors-and-debugging). The last two are not
 * complete answers: `error`, which the response cache does not keep (src/pipeline.ts).
 */
export function mapFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
    case 'eos':
      return 'stop';
    case 'insufficient_system_resource':
    case 'error':
      return 'error';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    case 'content_filter':
      return 'content-filter';
    default:
      return 'other';
  }
}

/**
 * OpenAI usage → Usage. Missing numbers are 0 and mark the usage as not reported. With
 * `reportsCost` (OpenRouter), the call's reported cost is read too (`reportedCost`).
 */
export function convertUsage(usage: OpenAIUsage | null | undefined, reportsCost = false): Usage {
  if (!usage) return { inputTokens: 0, outputTokens: 0, estimated: true };
  const cached = usage.prompt_tokens_details?.cached_tokens ?? usage.prompt_cache_hit_tokens ?? undefined;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens ?? undefined;
  const written = usage.prompt_tokens_details?.cache_write_tokens ?? undefined;
  const costUsd = reportsCost ? reportedCost(usage) : undefined;
  return {
    inputTokens: usage.prompt_tokens ?? 0,
    outputTokens: usage.completion_tokens ?? 0,
    ...(cached ? { cachedInputTokens: cached } : {}),
    ...(written ? { cacheWriteTokens: written } : {}),
    ...(reasoning ? { reasoningTokens: reasoning } : {}),
    ...(costUsd !== undefined ? { costUsd } : {}),
  };
}

/**
 * What an OpenRouter call cost in USD (wire-types.ts `OpenAIUsage.cost`): its `cost`, plus the
 * upstream's bill on a BYOK call; undefined when `cost` is not a finite number from 0 (the call is
 * then priced at the model's prices, as for any provider).
 */
function reportedCost(usage: OpenAIUsage): number | undefined {
  const cost = usage.cost;
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) return undefined;
  const upstream = usage.is_byok === true ? usage.cost_details?.upstream_inference_cost : undefined;
  return typeof upstream === 'number' && Number.isFinite(upstream) && upstream >= 0 ? cost + upstream : cost;
}
