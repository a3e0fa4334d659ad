/**
 * The one internal request shape every ingress parses into and every provider adapter reads.
 * Ingress formats (OpenAI Chat Completions, Anthropic Messages) become a ChatRequest; adapters
 * turn it into their native body. Nothing here depends on a wire format except `native`,
 * which keeps the caller's original body for same-format passthrough.
 */

/** Wire formats a request can arrive in and an adapter can speak natively. */
export type WireFormat = 'openai-chat' | 'anthropic-messages';

/** Plain text. */
export interface TextPart {
  type: 'text';
  text: string;
  /** The caller marked the end of a reusable prompt prefix here (prompt caching). */
  cacheBreakpoint?: CacheBreakpoint;
}

/**
 * A prompt-caching breakpoint: OpenAI's `prompt_cache_breakpoint` or a `cache_control` on a
 * text part (as OpenRouter and LiteLLM take it in the OpenAI format). Adapters whose provider
 * caches by breakpoint send it in their own terms (Anthropic: `cache_control`).
 */
export interface CacheBreakpoint {
  /** The least time the caller asked the cached prefix to live; the provider's default when absent. */
  minTtlSeconds?: number;
}

/**
 * An image, by URL: either a `data:<mime>;base64,...` URL or an http(s) URL. Adapters whose
 * provider needs bytes fetch https URLs themselves (with a size limit and timeout).
 */
export interface ImagePart {
  type: 'image';
  url: string;
  /** OpenAI's `detail` hint; other providers ignore it. */
  detail?: 'auto' | 'low' | 'high';
}

/**
 * A file or audio input: inline bytes (base64) with their media type, or a provider file id
 * (OpenAI `file_id`, meaningful only to that provider). Adapters whose provider cannot take
 * the media type reject the request with a 400 naming it.
 */
export interface FilePart {
  type: 'file';
  mediaType: string;
  /** Base64 bytes. */
  data?: string;
  fileId?: string;
  filename?: string;
}

/** A tool call the assistant made; `arguments` is the JSON text exactly as the model wrote it. */
export interface ToolCallPart {
  type: 'tool-call';
  id: string;
  name: string;
  arguments: string;
}

/** Model reasoning ("thinking") returned by providers that expose it. */
export interface ReasoningPart {
  type: 'reasoning';
  text: string;
  /** Provider signature that must be sent back unchanged on the next turn (Anthropic). */
  signature?: string;
  /** Redacted reasoning payload (Anthropic `redacted_thinking`). */
  redacted?: string;
}

/** A system (or OpenAI `developer`) instruction. */
export interface SystemMessage {
  role: 'system';
  content: TextPart[];
  /** True when the caller used OpenAI's `developer` role; OpenAI-style egress keeps it. */
  developer?: boolean;
}

/** A user turn: text and images. */
export interface UserMessage {
  role: 'user';
  content: Array<TextPart | ImagePart | FilePart>;
  name?: string;
}

/** An assistant turn from the history: text, tool calls and reasoning, in order. */
export interface AssistantMessage {
  role: 'assistant';
  content: Array<TextPart | ToolCallPart | ReasoningPart>;
  name?: string;
}

/** The result of one tool call, paired with the call by `toolCallId`. */
export interface ToolMessage {
  role: 'tool';
  toolCallId: string;
  content: Array<TextPart | ImagePart>;
  /** Anthropic `is_error` on a tool_result. */
  isError?: boolean;
}

export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

/** A function the model may call. `parameters` is a JSON Schema object. */
export interface ToolDefinition {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  strict?: boolean;
  /**
   * A prompt-caching breakpoint after this tool's definition (Anthropic's `tools[].cache_control`):
   * tools come first in a cached prefix, before the system prompt and the turns.
   */
  cacheBreakpoint?: CacheBreakpoint;
}

/** How the model must use the tools. */
export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'tool'; name: string };

/** The shape the answer must take. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      name: string;
      schema: Record<string, unknown>;
      description?: string;
      strict?: boolean;
    };

/**
 * OpenRouter's routing extensions (`models`, `provider`), honoured by the router and never
 * forwarded to a provider. See ../shared/SPEC.md "Routing hints".
 */
export interface RoutingHints {
  models?: string[];
  provider?: {
    order?: string[];
    only?: string[];
    ignore?: string[];
    sort?: 'price' | 'throughput' | 'latency';
    allowFallbacks?: boolean;
    maxPrice?: { prompt?: number; completion?: number };
    dataCollection?: 'allow' | 'deny';
  };
  /**
   * OpenRouter fields the router does not act on (`provider.require_parameters`,
   * `provider.max_price.request`), taken without a 400 as OpenRouter takes them, and said in the
   * request's ledger row rather than ignored silently.
   */
  ignored?: string[];
}

/** A chat request, independent of the format it arrived in. */
export interface ChatRequest {
  /** The model or route id the caller asked for. */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  /** `max_tokens` / `max_completion_tokens` (OpenAI) or `max_tokens` (Anthropic). */
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  seed?: number;
  /** Number of choices (OpenAI `n`); only OpenAI-style providers honour values above 1. */
  n?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  logprobs?: boolean;
  topLogprobs?: number;
  /** End-user id for abuse tracking, and the stickiness key for split routing. */
  user?: string;
  /** Reasoning effort (OpenAI `reasoning_effort`) where the caller set one. */
  reasoningEffort?: string;
  /** Anthropic extended thinking budget, where the caller set one. */
  thinkingBudgetTokens?: number;
  stream: boolean;
  /** OpenAI `stream_options.include_usage`: the caller wants the final usage chunk. */
  includeUsage: boolean;
  /**
   * A partial answer the model is to continue (stream resume, src/router/resume-stream.ts): the
   * adapter sends it as the final assistant turn its API continues from. Set only for adapters
   * with `continuation` (src/core/provider-adapter.ts), on requests without `native`.
   */
  assistantPrefix?: string;
  /** Routing metadata (header and body), string values only. Never forwarded. */
  metadata: Record<string, string>;
  hints: RoutingHints;
  /**
   * The caller's original body (routing hints removed) and its format. An adapter that speaks
   * this format natively sends it with only `model` replaced, so fields Switchboard does not
   * model still reach the provider unchanged.
   */
  native?: {
    format: WireFormat;
    body: Record<string, unknown>;
    /**
     * Protocol headers the caller sent that govern how the body is read (Anthropic's
     * `anthropic-version` and `anthropic-beta`), forwarded with the body in passthrough.
     */
    headers?: Record<string, string>;
    /**
     * Settings of the body that only a provider speaking its format receives (Anthropic's
     * `mcp_servers`, `cache_control`...): the typed request has no equivalent, so a provider
     * of another format answers without them, and the ledger row says so (a warning each).
     */
    nativeOnly?: readonly string[];
    /**
     * The caller's body as it came (UTF-8 JSON), so a relay need not serialise and encode the
     * body again (src/providers/_shared/relay-bytes.ts). It says what `body` holds only while
     * `body` is the object parsed from it (`of === body`): every rewrite (guardrails, overrides)
     * makes a new body, which turns it off. `omit`: its top-level fields `body` left out.
     * The first call that relays it takes it (`bytes` emptied), so a request in flight does not
     * keep its body twice; later attempts serialise `body`.
     */
    source?: NativeSource;
  };
}

/** The bytes a native body was parsed from (see `ChatRequest.native.source`). */
export interface NativeSource {
  of: Record<string, unknown>;
  bytes: Uint8Array | undefined;
  omit: readonly string[];
}
