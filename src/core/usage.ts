/**
 * Token usage of one call. `inputTokens` is the whole prompt, cached parts included;
 * `cachedInputTokens` and `cacheWriteTokens` say how much of it was read from or written to a
 * provider's prompt cache. `reasoningTokens` is the part of `outputTokens` spent thinking.
 */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  cacheWriteTokens?: number;
  /** The part of `cacheWriteTokens` written to last an hour (Anthropic's `1h`); the rest last the provider's default. */
  cacheWrite1hTokens?: number;
  reasoningTokens?: number;
  /**
   * What the provider bills, when it says so apart from what the model read and wrote (Cohere's
   * `billed_units`, which leave out the preamble Cohere adds): the cost is priced on it.
   */
  billed?: { inputTokens: number; outputTokens: number };
  /**
   * What the call cost in USD as its provider reported it (OpenRouter's `usage.cost`, whose
   * prices depend on the upstream it routed to): the call is priced at that, not at the model's
   * prices. A finite number from 0.
   */
  costUsd?: number;
  /** True when the numbers were counted by Switchboard because the provider reported none. */
  estimated?: boolean;
}

/** Adds two usages (for accumulating the attempts of one request). */
export function addUsage(left: Usage, right: Usage): Usage {
  return {
    inputTokens: left.inputTokens + right.inputTokens,
    outputTokens: left.outputTokens + right.outputTokens,
    cachedInputTokens: (left.cachedInputTokens ?? 0) + (right.cachedInputTokens ?? 0),
    cacheWriteTokens: (left.cacheWriteTokens ?? 0) + (right.cacheWriteTokens ?? 0),
    cacheWrite1hTokens: (left.cacheWrite1hTokens ?? 0) + (right.cacheWrite1hTokens ?? 0),
    reasoningTokens: (left.reasoningTokens ?? 0) + (right.reasoningTokens ?? 0),
    estimated: Boolean(left.estimated) || Boolean(right.estimated),
  };
}

/** The usage of several calls (a resumed stream's), summed. */
export function sumUsage(parts: ReadonlyArray<{ usage: Usage }>): Usage {
  return parts.map((part) => part.usage).reduce((sum, usage) => addUsage(sum, usage));
}

/**
 * What a stream that ended unfinished used, when its provider counted the prompt as it started
 * (`stream-start` inputUsage): that prompt (its cache reads and writes priced as such), and the
 * output as far as it was streamed, the provider's early count being only a floor.
 */
export function promptAsReported(reported: Usage, streamedOutputTokens: number): Usage {
  return { ...reported, outputTokens: Math.max(reported.outputTokens, streamedOutputTokens), estimated: true };
}
