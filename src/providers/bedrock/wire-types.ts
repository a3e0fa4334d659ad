/**
 * The Bedrock Runtime shapes this adapter sends and reads, from the API reference
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html,
 * API_runtime_ConverseStream.html, API_runtime_ContentBlock.html) and the AWS SDK's generated
 * models (aws-sdk-js-v3 clients/client-bedrock-runtime/src/models). Blobs (`bytes`) travel as
 * base64 strings in the JSON protocol. What we send is typed exactly; what we read is all
 * optional and nullable, so a field Bedrock adds or leaves out does not break us.
 */

/** ImageBlock.format (enums.ts `ImageFormat`). */
export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

/** ToolResultContentBlock, the members this adapter sends. */
export type ToolResultContent = { text: string } | { image: { format: ImageFormat; source: { bytes: string } } };

/** CachePointBlock (API_runtime_CachePointBlock.html): the end of a prefix to cache, `ttl` 5m by default. */
export interface CachePoint {
  type: 'default';
  ttl?: '5m' | '1h';
}

/** SystemContentBlock, the members this adapter sends. */
export type SystemBlock = { text: string } | { cachePoint: CachePoint };

/** ContentBlock, the members this adapter sends (a union: exactly one key per block). */
export type ContentBlock =
  | { text: string }
  | { image: { format: ImageFormat; source: { bytes: string } } }
  | { document: { format: string; name: string; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: Record<string, unknown> } }
  | { toolResult: { toolUseId: string; content: ToolResultContent[]; status?: 'success' | 'error' } }
  | { reasoningContent: { reasoningText: { text: string; signature?: string } } | { redactedContent: string } }
  | { cachePoint: CachePoint };

/** Message: Bedrock knows the roles `user` and `assistant` only (enums.ts `ConversationRole`). */
export interface ConverseMessage {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

/** ToolSpecification (API_runtime_ToolSpecification.html). */
export interface ToolSpecification {
  name: string;
  description?: string;
  inputSchema: { json: Record<string, unknown> };
  strict?: boolean;
}

/** The Converse / ConverseStream request body (the model id travels in the path). */
export interface ConverseRequestBody {
  messages: ConverseMessage[];
  system?: SystemBlock[];
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: {
    /** Tool is a union (API_runtime_Tool.html): a tool's specification, or a cache point after the tools before it. */
    tools: Array<{ toolSpec: ToolSpecification } | { cachePoint: CachePoint }>;
    toolChoice?: { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };
  };
  additionalModelRequestFields?: Record<string, unknown>;
  outputConfig?: {
    textFormat: { type: 'json_schema'; structure: { jsonSchema: { schema: string; name?: string; description?: string } } };
  };
}

/** TokenUsage. `inputTokens` excludes the cache reads and writes reported beside it. */
export interface BedrockUsage {
  inputTokens?: number | null;
  outputTokens?: number | null;
  totalTokens?: number | null;
  cacheReadInputTokens?: number | null;
  cacheWriteInputTokens?: number | null;
  /** The cache writes by TTL (API_runtime_CacheDetail.html), 1h before 5m; empty or absent when none. */
  cacheDetails?: Array<{ inputTokens?: number | null; ttl?: string | null }> | null;
}

/** A ContentBlock as read from an answer. */
export interface ResponseContentBlock {
  text?: string | null;
  toolUse?: { toolUseId?: string | null; name?: string | null; input?: unknown } | null;
  reasoningContent?: {
    reasoningText?: { text?: string | null; signature?: string | null } | null;
    redactedContent?: string | null;
  } | null;
}

/** ConverseResponse. */
export interface ConverseResponseBody {
  output?: { message?: { role?: string | null; content?: ResponseContentBlock[] | null } | null } | null;
  stopReason?: string | null;
  usage?: BedrockUsage | null;
}

/** The JSON payloads of ConverseStream events (ConverseStreamOutput members), merged. */
export interface ConverseStreamPayload {
  role?: string | null;
  contentBlockIndex?: number | null;
  start?: { toolUse?: { toolUseId?: string | null; name?: string | null } | null } | null;
  delta?: {
    text?: string | null;
    toolUse?: { input?: string | null } | null;
    reasoningContent?: { text?: string | null; signature?: string | null; redactedContent?: string | null } | null;
  } | null;
  stopReason?: string | null;
  usage?: BedrockUsage | null;
  message?: string | null;
}

/** InvokeModel answer of Amazon Titan Text Embeddings (v1 and v2). */
export interface TitanEmbeddingBody {
  embedding?: number[] | null;
  inputTextTokenCount?: number | null;
}

/** InvokeModel answer of Cohere Embed: a bare list (`embeddings_floats`) or by type (`embeddings_by_type`). */
export interface CohereEmbeddingBody {
  embeddings?: number[][] | { float?: number[][] | null } | null;
}
