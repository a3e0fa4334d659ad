import type { CacheBreakpoint, ChatMessage, ToolDefinition } from '../../core/chat-request.ts';
import type { Warning } from '../../core/chat-result.ts';
import { LatestBreakpoints, wantsAnHour } from '../_shared/cache-breakpoints.ts';
import { atLeast, claudeVersion } from '../_shared/claude-models.ts';
import type { CachePoint } from './wire-types.ts';

/**
 * Prompt-caching breakpoints as Converse `cachePoint` blocks (API_runtime_CachePointBlock.html:
 * `type: "default"`, optional `ttl` `5m` | `1h`), placed right after the block the caller marked,
 * in `toolConfig.tools` (a Tool is a union of toolSpec, systemTool and cachePoint:
 * API_runtime_Tool.html), in `system` or in a turn's content
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html).
 *
 * Bedrock refuses a request with a cache point for a model without prompt caching ("You invoked
 * an unsupported model or your request did not allow prompt caching", a 400 or 403 that other
 * gateways' users met on Llama, DeepSeek, Qwen and the first Claude 3 models: LiteLLM#39210,
 * strands-agents/harness-sdk#1807), and a `ttl` of `1h` for a model with 5-minute caching
 * only. Caching is an optimisation, so a breakpoint that could fail the request is not sent, with
 * a warning: cache points go to the Claude and Nova models Bedrock lists as caching, `1h` to
 * Claude 4.5 and later; a model id that names neither (an application inference profile's ARN)
 * gets none.
 */

/**
 * The caller's names for prompt-caching breakpoints (src/api/openai/parse-chat-request.ts; the
 * Anthropic ingress's src/api/anthropic/cache-marks.ts), which become cache points.
 */
export const promptCachingFields: ReadonlySet<string> = new Set(['prompt_cache_breakpoint', 'cache_control', 'tools[].cache_control']);

/** At most four cache points a request (Claude's limit, as Anthropic's own API has it). */
export const maxCachePoints = 4;

/** Claude models on Bedrock without prompt caching: Claude 2, Instant, the Claude 3 family and 3.5 Sonnet v1. */
const uncachedClaude = /claude-(?:v2|instant|2|3-(?:opus|sonnet|haiku)|3-5-sonnet-20240620)/;

/** What prompt caching a Bedrock model id takes: cache points at all, and a 1-hour TTL. */
export function promptCaching(model: string): { points: boolean; hour: boolean } {
  if (/(?:^|[./])amazon\.nova-/.test(model)) return { points: true, hour: false };
  if (!/(?:^|[./])anthropic\.claude-/.test(model) || uncachedClaude.test(model)) return { points: false, hour: false };
  return { points: true, hour: atLeast(claudeVersion(model), 4, 5) };
}

/**
 * The cache points of one conversion: the latest `maxCachePoints` of the breakpoints marked on
 * the tools sent and on text that is sent (not empty), asked in prompt order (tools first).
 */
export class CachePoints {
  readonly #caching: { points: boolean; hour: boolean };
  readonly #marked: boolean;
  readonly #latest: LatestBreakpoints;
  #shortened = false;

  constructor(messages: readonly ChatMessage[], model: string, tools: readonly ToolDefinition[] = []) {
    this.#caching = promptCaching(model);
    this.#latest = new LatestBreakpoints(messages, maxCachePoints, tools);
    this.#marked = this.#latest.marked > 0;
  }

  /** Some breakpoint went as a cache point. */
  get sent(): boolean {
    return this.#marked && this.#caching.points;
  }

  /** The cache point to put after a block of text marked `mark`, if one goes there. */
  after(mark: CacheBreakpoint | undefined): { cachePoint: CachePoint } | undefined {
    if (mark === undefined || !this.#caching.points || !this.#latest.take()) return undefined;
    const longer = wantsAnHour(mark);
    if (longer && !this.#caching.hour) this.#shortened = true;
    return { cachePoint: longer && this.#caching.hour ? { type: 'default', ttl: '1h' } : { type: 'default' } };
  }

  /**
   * What the ledger row says of the breakpoints not sent as asked. `fields`: the caller's names
   * for the breakpoints its request used (`native.nativeOnly`); marks this conversion could not
   * place (none on text that is sent) are named there too.
   */
  warnings(model: string, fields: readonly string[]): Warning[] {
    if (fields.length === 0) return [];
    if (!this.#marked || !this.#caching.points) {
      const why = this.#marked
        ? `Bedrock model "${model}" is not known to take prompt caching (cachePoint), which Bedrock refuses for models without it`
        : 'Bedrock takes cache points after tools and blocks of text only';
      return fields.map((setting) => ({ type: 'dropped-setting', setting, message: `${why}; the breakpoints were not sent` }));
    }
    if (!this.#shortened) return [];
    return [{ type: 'unsupported-setting', setting: 'cache_ttl', message: `Bedrock caches for 1 hour on Claude 4.5 and later only; the breakpoints asking for longer than 5 minutes were sent to "${model}" with its 5-minute default` }];
  }
}
