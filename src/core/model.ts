/** What a model can do; requests needing a capability skip models known to lack it. */
export type Capability = 'chat' | 'tools' | 'vision' | 'json_object' | 'json_schema' | 'reasoning' | 'embeddings';

/** Prices in USD per million tokens. */
export interface ModelPricing {
  inputPerMtok: number;
  outputPerMtok: number;
  /** Price of prompt tokens read from the provider's cache, where it differs. */
  cachedInputPerMtok?: number;
  /** Price of prompt tokens written to the provider's cache (its default lifetime), where it differs. */
  cacheWritePerMtok?: number;
  /** Price of prompt tokens written to last an hour (Anthropic's `1h`), where it differs. */
  cacheWrite1hPerMtok?: number;
}

/**
 * A model Switchboard can call: a `models:` entry of the config, a catalog model of a
 * configured provider, or a `<provider>/<upstream>` address resolved on the fly.
 * Unknown facts stay undefined: filters do not remove a model for what is not known.
 */
export interface ModelInfo {
  /** The id clients send. */
  id: string;
  /** The configured provider's id. */
  providerId: string;
  /** The provider's own model name. */
  upstream: string;
  pricing?: ModelPricing;
  contextWindow?: number;
  maxOutputTokens?: number;
  capabilities?: readonly Capability[];
  /** 0..1 prior used by quality-aware strategies. */
  quality?: number;
  tags: readonly string[];
}

/** A catalog row: built-in facts about a provider type's model. */
export interface CatalogEntry {
  provider: string;
  model: string;
  pricing: ModelPricing;
  contextWindow?: number;
  maxOutputTokens?: number;
  capabilities: readonly Capability[];
  quality?: number;
  embeddingDimensions?: number;
  source: string;
}
