import type { CachePriceMultipliers } from '../../core/provider-adapter.ts';

/**
 * Anthropic's prompt-caching prices for Claude models, as multiples of the base input price:
 * cache reads 0.1x, 5-minute writes 1.25x, 1-hour writes 2x (Anthropic's pricing page, "Prompt
 * caching"); Bedrock prices Claude's the same. Shared by the two provider types that serve Claude.
 */
export const claudeCachePrices: CachePriceMultipliers = { read: 0.1, write: 1.25, writeForAnHour: 2 };
