import type { Usage } from '../../core/usage.ts';
import type { AnthropicUsage } from './wire-types.ts';

/**
 * Anthropic usage → Usage. Anthropic's `input_tokens` counts only the prompt tokens after the
 * last cache breakpoint; the cached parts are reported beside it
 * (openapi.json `Usage.cache_read_input_tokens`, `cache_creation_input_tokens`), so the whole
 * prompt is the sum of the three.
 */
export function convertUsage(usage: AnthropicUsage | null | undefined): Usage {
  if (!usage) return { inputTokens: 0, outputTokens: 0, estimated: true };
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  // The writes' split by lifetime (openapi.json `CacheCreation`): an hour's cost more.
  const forAnHour = Math.min(usage.cache_creation?.ephemeral_1h_input_tokens ?? 0, cacheWrite);
  return {
    inputTokens: (usage.input_tokens ?? 0) + cacheRead + cacheWrite,
    outputTokens: usage.output_tokens ?? 0,
    ...(cacheRead > 0 ? { cachedInputTokens: cacheRead } : {}),
    ...(cacheWrite > 0 ? { cacheWriteTokens: cacheWrite } : {}),
    // Present whenever the split was reported (0 included), so that it can be told on.
    ...(cacheWrite > 0 && usage.cache_creation ? { cacheWrite1hTokens: forAnHour } : {}),
  };
}

/**
 * A stream's usage: `message_start` gives the input counts (and an early output count), then
 * `message_delta` gives the cumulative output count and may restate the input counts
 * (openapi.json `MessageDeltaUsage`: every field but `output_tokens` nullable). Later non-null
 * values win.
 */
export function mergeUsage(earlier: AnthropicUsage | undefined, later: AnthropicUsage | null | undefined): AnthropicUsage | undefined {
  if (!later) return earlier;
  const merged: AnthropicUsage = { ...earlier };
  for (const key of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const) {
    const value = later[key];
    if (typeof value === 'number') merged[key] = value;
  }
  if (later.cache_creation) merged.cache_creation = later.cache_creation;
  return merged;
}
