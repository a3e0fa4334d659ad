import type { RoutingHints } from './chat-request.ts';
import type { Warning } from './chat-result.ts';
import type { Usage } from './usage.ts';

/** An embeddings request (OpenAI `/v1/embeddings` shape, parsed). */
export interface EmbeddingRequest {
  model: string;
  /** Text inputs. Token-array inputs are kept in `native` only. */
  input: string[];
  /**
   * How many token ids the request gave instead of text (OpenAI's token-array inputs), each one
   * token: what its budget reservation, rate limits and counted usage take for them.
   */
  inputTokenIds?: number;
  dimensions?: number;
  encodingFormat?: 'float' | 'base64';
  user?: string;
  /** Task hint for providers that take one (Gemini task_type, Cohere input_type). */
  inputType?: 'search_document' | 'search_query' | 'classification' | 'clustering';
  metadata: Record<string, string>;
  /** OpenRouter's `models` / `provider`, as on chat: routed like chat (../shared/SPEC.md), never forwarded. */
  hints?: RoutingHints;
  native?: { format: 'openai-embeddings'; body: Record<string, unknown> };
}

/** Embedding vectors, one per input, in input order. */
export interface EmbeddingResult {
  model: string;
  /** float vectors, or base64 strings when the caller asked for base64 and the provider gave it. */
  embeddings: Array<number[] | string>;
  usage: Usage;
  /** The caller's fields the provider could not take (a `dropped-setting` each, for the ledger row). */
  warnings?: Warning[];
  /** The provider's body as received, when it is already in the OpenAI shape. */
  native?: { format: 'openai-embeddings'; body: string };
}
