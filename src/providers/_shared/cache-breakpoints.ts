import type { CacheBreakpoint, ChatMessage, ToolDefinition } from '../../core/chat-request.ts';

/**
 * The prompt-caching breakpoints a conversation marks on text that is sent (not empty), and on
 * `tools` when given: what an adapter that caches by breakpoint counts to send the latest ones its
 * provider allows (Anthropic and Bedrock take four).
 */
export function countBreakpoints(messages: readonly ChatMessage[], tools: readonly ToolDefinition[] = []): number {
  let count = 0;
  for (const tool of tools) if (tool.cacheBreakpoint !== undefined) count += 1;
  for (const message of messages) {
    for (const part of message.content) if (part.type === 'text' && part.cacheBreakpoint !== undefined && part.text !== '') count += 1;
  }
  return count;
}

/**
 * The breakpoints of one conversion that are sent: the latest `max` of those marked, asked in the
 * order the blocks are converted. Anthropic refuses more than four; OpenAI writes "up to the
 * latest four explicit breakpoints" (openapi.yaml `PromptCacheOptionsParam`) and ignores the rest.
 */
export class LatestBreakpoints {
  /** How many breakpoints the conversation marks. */
  readonly marked: number;
  /** How many of the earliest are left out. */
  #skip: number;

  /** `tools`: their marks count too, for an adapter that sends them (asked first: tools open the prefix). */
  constructor(messages: readonly ChatMessage[], max: number, tools: readonly ToolDefinition[] = []) {
    this.marked = countBreakpoints(messages, tools);
    this.#skip = Math.max(0, this.marked - max);
  }

  /** Whether the next marked block's breakpoint is sent (false for the earliest, over the limit). */
  take(): boolean {
    if (this.#skip === 0) return true;
    this.#skip -= 1;
    return false;
  }
}

/**
 * The caller asked the prefix to live longer than the 5 minutes Anthropic and Bedrock cache it by
 * default (OpenAI's `30m`, or `cache_control.ttl: "1h"`): their 1-hour lifetime covers it.
 */
export function wantsAnHour(mark: CacheBreakpoint): boolean {
  return mark.minTtlSeconds !== undefined && mark.minTtlSeconds > 300;
}
