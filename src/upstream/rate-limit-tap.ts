import type { HttpClient } from '../core/http-client.ts';
import type { RateLimitHeaders } from '../core/routing-state.ts';

type Headers = Record<string, string | string[] | undefined>;

/**
 * Wraps a provider's HttpClient to read the rate-limit headers of every answer, so the balancer
 * moves traffic away before a limit is hit. Adapters need not know: app.ts gives each provider
 * its own tapped client.
 */
export function tapRateLimits(http: HttpClient, onHeaders: (headers: RateLimitHeaders) => void): HttpClient {
  return {
    async send(request) {
      const response = await http.send(request);
      const limits = readRateLimitHeaders(response.headers);
      if (limits) onHeaders(limits);
      return response;
    },
  };
}

/**
 * OpenAI-style `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (Groq, Together,
 * DeepSeek, OpenRouter, Mistral use the same names; reset as "1s", "6m0s", "20ms") and
 * Anthropic's `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}` (reset as an
 * RFC 3339 time). Undefined when the answer carries none.
 */
export function readRateLimitHeaders(headers: Headers, now = Date.now()): RateLimitHeaders | undefined {
  const result: RateLimitHeaders = {};
  const number = (name: string) => {
    const value = first(headers[name]);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  };
  result.remainingRequests = number('x-ratelimit-remaining-requests') ?? number('anthropic-ratelimit-requests-remaining');
  result.remainingTokens = number('x-ratelimit-remaining-tokens') ?? number('anthropic-ratelimit-tokens-remaining');
  result.limitRequests = number('x-ratelimit-limit-requests') ?? number('anthropic-ratelimit-requests-limit');
  result.limitTokens = number('x-ratelimit-limit-tokens') ?? number('anthropic-ratelimit-tokens-limit');
  result.requestsResetMs = parseDuration(first(headers['x-ratelimit-reset-requests'])) ?? parseTime(first(headers['anthropic-ratelimit-requests-reset']), now);
  result.tokensResetMs = parseDuration(first(headers['x-ratelimit-reset-tokens'])) ?? parseTime(first(headers['anthropic-ratelimit-tokens-reset']), now);
  for (const key of Object.keys(result) as Array<keyof RateLimitHeaders>) if (result[key] === undefined) delete result[key];
  return Object.keys(result).length > 0 ? result : undefined;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const durationPart = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "6m0s", "1.5s", "20ms" → milliseconds. */
export function parseDuration(text: string | undefined): number | undefined {
  if (!text) return undefined;
  let total = 0;
  let matched = false;
  for (const match of text.matchAll(durationPart)) {
    total += Number(match[1]) * unitMs[match[2]!]!;
    matched = true;
  }
  return matched ? total : undefined;
}

function parseTime(text: string | undefined, now: number): number | undefined {
  if (!text) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : Math.max(0, time - now);
}
