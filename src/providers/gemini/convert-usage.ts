import type { Usage } from '../../core/usage.ts';
import type { GeminiUsageMetadata } from './wire-types.ts';

/**
 * Gemini usageMetadata (generative_service.proto GenerateContentResponse.UsageMetadata) → Usage.
 * `candidatesTokenCount` excludes thinking, so output is candidates + thoughts (the examples'
 * totalTokenCount = prompt + candidates + thoughts); `promptTokenCount` already includes the
 * cached part. No metadata: zeros marked `estimated`, and the pipeline counts the tokens itself.
 */
export function convertUsage(usage: GeminiUsageMetadata | null | undefined): Usage {
  if (!usage) return { inputTokens: 0, outputTokens: 0, estimated: true };
  const thoughts = usage.thoughtsTokenCount ?? 0;
  const cached = usage.cachedContentTokenCount ?? 0;
  return {
    inputTokens: usage.promptTokenCount ?? 0,
    outputTokens: (usage.candidatesTokenCount ?? 0) + thoughts,
    ...(cached ? { cachedInputTokens: cached } : {}),
    ...(thoughts ? { reasoningTokens: thoughts } : {}),
  };
}
