import type { ChatRequest, WireFormat } from './chat-request.ts';
import type { ChatResult } from './chat-result.ts';
import type { EmbeddingRequest, EmbeddingResult } from './embedding.ts';
import type { HttpClient, ImageFetcher, UpstreamProgress } from './http-client.ts';
import type { EventStream } from './stream-event.ts';
import type { AbortSignalLike } from './abort.ts';

/**
 * A configured provider as adapters see it (the validated `providers[]` entry of the config).
 * Type-specific settings (Azure's api_version, Bedrock's region and credentials) are in
 * `options` under their config names.
 */
export interface ProviderSettings {
  id: string;
  type: string;
  /** The base URL as the provider's own SDK takes it; adapters apply their default when absent. */
  baseUrl?: string;
  apiKey?: string;
  /** Extra headers sent on every upstream call. */
  headers: Record<string, string>;
  timeoutMs: number;
  options: Record<string, unknown>;
}

/**
 * What one attempt needs besides the request. It is its call's UpstreamProgress too: the
 * transport writes `lastDataAt` as the answer's bytes come, and a stream's stall timer counts
 * silence from it, so keep-alives that carry no event (Anthropic's `ping`, SSE comments) are not
 * a stall.
 */
export interface ProviderCall extends UpstreamProgress {
  /** The provider's model name (the models entry's `upstream`). */
  model: string;
  /** Aborted when the caller disconnects, the attempt's deadline passes or a hedge wins. */
  signal: AbortSignalLike;
  /** Limit for the first byte and for silences between chunks. */
  timeoutMs: number;
  /** Switchboard's request id, for upstream headers and logs. */
  requestId: string;
  /**
   * The model's maximum output tokens where known (models entry or catalog), for providers that
   * require a max-tokens value the caller did not give (Anthropic).
   */
  maxOutputTokens?: number;
  /**
   * The provider's HTTP status once it answered, written by the adapter's transport
   * (src/providers/_shared/post-json.ts): the attempt's `upstream_status` in the ledger, also for
   * an answer that then failed (a body that is not JSON, a stream that broke) and whose error
   * carries no status of its own or a status the provider did not send.
   */
  upstreamStatus?: number;
}

/**
 * How a provider continues a partial answer given as a final assistant turn
 * (`ChatRequest.assistantPrefix`), for stream resume. Only APIs that document continuing it
 * have one (Anthropic Messages' prefill, Mistral's `prefix: true`, vLLM's
 * `continue_final_message`); others (OpenAI Chat Completions) would answer afresh and repeat
 * text, so they cannot continue.
 */
export interface Continuation {
  /** Whether this request can be continued (Anthropic: not with extended thinking). */
  accepts(request: ChatRequest): boolean;
  /** The answer may start by repeating the prefix before continuing it: the repeat is dropped. */
  mayRepeatPrefix?: boolean;
}

/**
 * A provider adapter: translates ChatRequest into one provider's API and the answer back.
 * Adapters throw GatewayError for every failure before a stream starts; once a stream has
 * started, failures are `error` events.
 */
export interface ProviderAdapter {
  readonly id: string;
  readonly type: string;
  /** The ingress format this provider speaks natively, enabling passthrough. */
  readonly nativeFormat?: WireFormat;
  /**
   * Settings of another format's body (`ChatRequest.native.nativeOnly` names) this adapter
   * carries over in its own terms, so the ledger row need not say they were not sent.
   */
  readonly translates?: ReadonlySet<string>;
  chat(request: ChatRequest, call: ProviderCall): Promise<ChatResult>;
  /** Resolves when the provider has accepted the request (status 2xx received). */
  streamChat(request: ChatRequest, call: ProviderCall): Promise<EventStream>;
  /** Absent when the provider cannot continue a partial answer (stream resume). */
  readonly continuation?: Continuation;
  /** Absent when the provider has no embeddings API. */
  embed?(request: EmbeddingRequest, call: ProviderCall): Promise<EmbeddingResult>;
}

/** Services an adapter may use; injected by app.ts. */
export interface AdapterDependencies {
  http: HttpClient;
  images: ImageFetcher;
}

/** Builds an adapter for one configured provider. */
export type CreateProviderAdapter = (settings: ProviderSettings, dependencies: AdapterDependencies) => ProviderAdapter;

/** A provider type's registry entry. */
export interface ProviderDefinition {
  create: CreateProviderAdapter;
  /** Base URL when the config gives none. */
  defaultBaseUrl?: string;
  /** False for providers that need no base URL at all (in-process, or derived from a region). */
  requiresBaseUrl?: boolean;
  /** Environment variable holding an API key that turns this provider on in no-config mode. */
  environmentKey?: string;
  /** Environment variable holding a base URL that turns this provider on (Ollama's OLLAMA_BASE_URL). */
  environmentBaseUrl?: string;
  /** The catalog's provider type whose models this type serves (azure-openai serves openai's). */
  catalogType?: string;
  /** False when the provider works without an API key (Ollama, self-hosted servers). */
  requiresApiKey: boolean;
  /** Provider keeps data on the operator's own machines (Ollama, vLLM). */
  onPremDefault?: boolean;
  /**
   * The provider's published prompt-cache prices as multiples of a model's input price, for
   * models whose config and catalog give none (Anthropic's for Claude); undefined: unknown.
   */
  cachePriceMultipliers?: (upstream: string) => CachePriceMultipliers | undefined;
}

/** Prompt-cache prices as multiples of the input price. */
export interface CachePriceMultipliers {
  read: number;
  write: number;
  /** Writes that last an hour (Anthropic's `1h`). */
  writeForAnHour: number;
}
