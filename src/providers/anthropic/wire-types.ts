/**
 * The parts of Anthropic's Messages API answers this adapter reads (from
 * ../shared/specs/anthropic/openapi.json: `Message`, `ContentBlock`, `Usage`, the stream events
 * `MessageStartEvent` … `MessageStopEvent`, and `ErrorResponse`). Everything is optional and
 * nullable: the spec marks nullable fields `required` that real answers leave out (see
 * ../shared/specs/anthropic/SOURCES.md, "Notes"), and a new field must not break us.
 */

/** `Usage` (message bodies, `message_start`) and `MessageDeltaUsage` (`message_delta`). */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  /** openapi.json `CacheCreation`: the writes by lifetime (bodies and `message_start` only). */
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
}

/** One `ContentBlock` of an answer (text, tool_use, thinking, redacted_thinking, server blocks …). */
export interface AnthropicContentBlock {
  type?: string | null;
  text?: string | null;
  id?: string | null;
  name?: string | null;
  input?: unknown;
  thinking?: string | null;
  signature?: string | null;
  data?: string | null;
}

/** `Message`: the non-streamed answer, and `message_start.message`. */
export interface AnthropicMessage {
  id?: string | null;
  type?: string | null;
  model?: string | null;
  content?: AnthropicContentBlock[] | null;
  stop_reason?: string | null;
  stop_sequence?: string | null;
  usage?: AnthropicUsage | null;
  /** Present instead of the fields above when a 200 carries an `ErrorResponse`. */
  error?: AnthropicErrorDetail | null;
}

/** `ErrorResponse.error`, and the payload of an in-band `event: error`. */
export interface AnthropicErrorDetail {
  type?: string | null;
  message?: string | null;
}

/** `content_block_delta.delta` (`text_delta`, `input_json_delta`, `thinking_delta`, `signature_delta`, `citations_delta`). */
export interface AnthropicDelta {
  type?: string | null;
  text?: string | null;
  partial_json?: string | null;
  thinking?: string | null;
  signature?: string | null;
  /** `message_delta.delta`. */
  stop_reason?: string | null;
  stop_sequence?: string | null;
}

/** Any stream event's data object (`MessageStreamEvent` plus `ping` and `error`). */
export interface AnthropicStreamEvent {
  type?: string | null;
  message?: AnthropicMessage | null;
  index?: number | null;
  content_block?: AnthropicContentBlock | null;
  delta?: AnthropicDelta | null;
  usage?: AnthropicUsage | null;
  error?: AnthropicErrorDetail | null;
}
