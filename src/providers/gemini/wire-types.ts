/**
 * The parts of Gemini's answers this adapter reads, from
 * ../shared/specs/gemini/protos/v1beta/generative_service.proto (GenerateContentResponse,
 * Candidate, UsageMetadata, BatchEmbedContentsResponse) and content.proto (Content, Part,
 * FunctionCall). JSON names are the lowerCamelCase of the proto fields. Everything is optional
 * and nullable: a field Gemini leaves out or adds must not break us.
 */

export interface GeminiFunctionCall {
  /** content.proto FunctionCall.id: newer models set it, older ones leave it out. */
  id?: string | null;
  name?: string | null;
  /** A google.protobuf.Struct: always a JSON object when present. */
  args?: Record<string, unknown> | null;
}

export interface GeminiPart {
  text?: string | null;
  /** content.proto Part.thought: the text is a thought summary, not answer text. */
  thought?: boolean | null;
  /** content.proto Part.thought_signature (bytes, base64 in JSON): sent back unchanged next turn. */
  thoughtSignature?: string | null;
  functionCall?: GeminiFunctionCall | null;
  inlineData?: { mimeType?: string | null; data?: string | null } | null;
  executableCode?: { language?: string | null; code?: string | null } | null;
  codeExecutionResult?: { outcome?: string | null; output?: string | null } | null;
}

export interface GeminiContent {
  role?: string | null;
  parts?: GeminiPart[] | null;
}

export interface GeminiCandidate {
  index?: number | null;
  content?: GeminiContent | null;
  finishReason?: string | null;
  finishMessage?: string | null;
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number | null;
  cachedContentTokenCount?: number | null;
  candidatesTokenCount?: number | null;
  thoughtsTokenCount?: number | null;
  toolUsePromptTokenCount?: number | null;
  totalTokenCount?: number | null;
}

/** google.rpc.Status as Google's JSON APIs send it (examples/unary-failure-*.txt). */
export interface GeminiErrorStatus {
  code?: number | null;
  message?: string | null;
  status?: string | null;
  details?: Array<{ '@type'?: string | null; reason?: string | null; retryDelay?: string | null }> | null;
}

/** GenerateContentResponse: a whole answer, or one `data:` message of an `alt=sse` stream. */
export interface GeminiResponse {
  candidates?: GeminiCandidate[] | null;
  promptFeedback?: { blockReason?: string | null } | null;
  usageMetadata?: GeminiUsageMetadata | null;
  modelVersion?: string | null;
  responseId?: string | null;
  /** An error sent inside a 200 stream instead of a chunk. */
  error?: GeminiErrorStatus | null;
}

export interface GeminiErrorBody {
  error?: GeminiErrorStatus | null;
}

/** BatchEmbedContentsResponse. It reports no token usage. */
export interface GeminiBatchEmbedResponse {
  embeddings?: Array<{ values?: number[] | null }> | null;
}
