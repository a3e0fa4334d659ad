/**
 * The parts of OpenAI's response and chunk bodies this adapter reads (from
 * ../shared/specs/openai/openapi.yaml, CreateChatCompletionResponse and
 * CreateChatCompletionStreamResponse). Everything is optional and nullable: a server that
 * leaves a field out or adds one must not break us. `reasoning_content` (DeepSeek) and
 * `reasoning` (OpenRouter, Groq) are extensions of compatible servers.
 */

export interface OpenAIUsage {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  /** openapi.yaml `CompletionUsage.prompt_tokens_details`: `cache_write_tokens` is "the unadjusted number of prompt tokens written to cache". */
  prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
  /** DeepSeek reports cache hits here. */
  prompt_cache_hit_tokens?: number | null;
  /**
   * OpenRouter's accounting, in every answer (openrouter.ai/docs/use-cases/usage-accounting; its
   * SDKs' `ChatUsage`): `cost`, "cost of the completion" in credits (USD), what OpenRouter
   * charged; with `is_byok` (the call went on the user's own provider key), what that provider
   * charged is `cost_details.upstream_inference_cost` besides. On other calls that field repeats
   * the cost (it is filled, equal to `cost`, with `is_byok` false), so it is read only for BYOK.
   */
  cost?: number | null;
  is_byok?: boolean | null;
  cost_details?: { upstream_inference_cost?: number | null } | null;
}

export interface OpenAIToolCall {
  index?: number | null;
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

export interface OpenAIMessage {
  role?: string | null;
  content?: string | null;
  refusal?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  tool_calls?: OpenAIToolCall[] | null;
}

export interface OpenAIChoice {
  index?: number | null;
  message?: OpenAIMessage | null;
  delta?: OpenAIMessage | null;
  finish_reason?: string | null;
}

export interface OpenAIChatBody {
  id?: string | null;
  model?: string | null;
  created?: number | null;
  choices?: OpenAIChoice[] | null;
  usage?: OpenAIUsage | null;
  /**
   * Groq's extension of a chunk (groq-typescript src/resources/chat/completions.ts,
   * `ChatCompletionChunk.XGroq`): `usage` "only sent in the final chunk", and `error`, "an error
   * string indicating why a stream was stopped early".
   */
  x_groq?: { usage?: OpenAIUsage | null; error?: string | null } | null;
  error?: { message?: string | null; code?: string | number | null; type?: string | null } | null;
}

export interface OpenAIEmbeddingBody {
  model?: string | null;
  data?: Array<{ index?: number | null; embedding?: number[] | string | null }> | null;
  /** OpenRouter's carry its accounting as a chat's do (`cost`; CreateEmbeddingsUsage in its SDK's reference). */
  usage?: Pick<OpenAIUsage, 'prompt_tokens' | 'cost' | 'is_byok' | 'cost_details'> | null;
}
