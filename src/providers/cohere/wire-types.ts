/**
 * The parts of Cohere's Chat v2 and Embed v2 answers this adapter reads. Cohere's spec is not
 * shipped (no open licence; ../shared/specs/README.md); the shapes follow the public API
 * reference, https://docs.cohere.com/reference/chat (response, and "Chat with Streaming" for the
 * events) and https://docs.cohere.com/reference/embed. Everything is optional and nullable.
 */

export interface CohereToolCall {
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

/** Content items: `{type: "text", text}` and, for reasoning models, `{type: "thinking", thinking}`. */
export interface CohereContentItem {
  type?: string | null;
  text?: string | null;
  thinking?: string | null;
}

/** `usage`: `tokens` are the model's counts, `billed_units` what is billed; both input/output. */
export interface CohereUsage {
  billed_units?: { input_tokens?: number | null; output_tokens?: number | null } | null;
  tokens?: { input_tokens?: number | null; output_tokens?: number | null } | null;
  cached_tokens?: number | null;
}

/** The non-streamed Chat v2 response. */
export interface CohereChatBody {
  id?: string | null;
  /** COMPLETE, STOP_SEQUENCE, MAX_TOKENS, TOOL_CALL, ERROR, TIMEOUT. */
  finish_reason?: string | null;
  message?: {
    role?: string | null;
    content?: CohereContentItem[] | null;
    tool_plan?: string | null;
    tool_calls?: CohereToolCall[] | null;
  } | null;
  usage?: CohereUsage | null;
}

/**
 * One Chat v2 stream event: `message-start`, `content-start`, `content-delta`, `content-end`,
 * `tool-plan-delta`, `tool-call-start`, `tool-call-delta`, `tool-call-end`, `citation-start`,
 * `citation-end`, `message-end`. Singular objects where the response has arrays
 * (`delta.message.content`, `delta.message.tool_calls`).
 */
export interface CohereStreamEvent {
  type?: string | null;
  id?: string | null;
  index?: number | null;
  delta?: {
    message?: {
      content?: CohereContentItem | null;
      tool_plan?: string | null;
      tool_calls?: CohereToolCall | null;
    } | null;
    finish_reason?: string | null;
    error?: string | null;
    usage?: CohereUsage | null;
  } | null;
  /** Error bodies (`{"message": ...}`) sent in place of an event. */
  message?: string | null;
}

/** Embed v2 `EmbedByTypeResponse`. */
export interface CohereEmbedBody {
  embeddings?: { float?: number[][] | null } | null;
  meta?: { billed_units?: { input_tokens?: number | null } | null; tokens?: { input_tokens?: number | null } | null } | null;
}
