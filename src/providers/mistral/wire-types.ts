/**
 * The parts of Mistral's answers this adapter reads, from ../shared/specs/mistral/openapi.yaml
 * (ChatCompletionResponse, CompletionChunk, DeltaMessage, ContentChunk, ToolCall, UsageInfo,
 * EmbeddingResponse, HTTPValidationError). Everything is optional and nullable: a field Mistral
 * leaves out or adds must not break us.
 */

/** TextChunk, ThinkChunk (whose `thinking` holds TextChunks) and other ContentChunks. */
export interface MistralContentChunk {
  type?: string | null;
  text?: string | null;
  thinking?: Array<{ type?: string | null; text?: string | null }> | null;
}

/** AssistantMessage.content and DeltaMessage.content: a string or ContentChunks. */
export type MistralContent = string | MistralContentChunk[] | null | undefined;

/** ToolCall: `arguments` may be a JSON string or an object (FunctionCall in the spec). */
export interface MistralToolCall {
  id?: string | null;
  index?: number | null;
  function?: { name?: string | null; arguments?: string | Record<string, unknown> | null } | null;
}

export interface MistralMessage {
  content?: MistralContent;
  tool_calls?: MistralToolCall[] | null;
}

export interface MistralUsage {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  num_cached_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  prompt_token_details?: { cached_tokens?: number | null } | null;
}

export interface MistralChoice {
  index?: number | null;
  message?: MistralMessage | null;
  delta?: MistralMessage | null;
  /** stop, length, model_length, error, tool_calls (ChatCompletionChoice.finish_reason). */
  finish_reason?: string | null;
}

/** ChatCompletionResponse and CompletionChunk, plus the error fields an in-band error carries. */
export interface MistralChatBody {
  id?: string | null;
  object?: string | null;
  model?: string | null;
  created?: number | null;
  choices?: MistralChoice[] | null;
  usage?: MistralUsage | null;
  message?: unknown;
  error?: { message?: string | null } | null;
}

export interface MistralEmbeddingBody {
  model?: string | null;
  data?: Array<{ index?: number | null; embedding?: number[] | null }> | null;
  usage?: MistralUsage | null;
}
