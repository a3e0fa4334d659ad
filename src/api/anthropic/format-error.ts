import type { GatewayError } from '../../core/errors.ts';
import { callerMessage } from '../validation.ts';

/**
 * Anthropic's error types: openapi.json `ErrorType`, plus `request_too_large`, which Anthropic's
 * "Errors" page lists for 413 (docs.claude.com/en/api/errors) though the spec's enum omits it.
 */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'timeout_error'
  | 'api_error'
  | 'overloaded_error';

/** openapi.json `ErrorResponse`, as the body of an error answer and the data of an `error` stream event. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
}

/** GatewayError → Anthropic's error body `{"type": "error", "error": {"type", "message"}}`. */
export function formatAnthropicError(error: GatewayError): AnthropicErrorBody {
  const message = callerMessage(error);
  return { type: 'error', error: { type: anthropicErrorType(error), message: error.code === 'SB_ERR_CONTEXT_LENGTH' ? promptTooLong(message) : message } };
}

/**
 * Another provider's context overflow, worded as Anthropic words its own: "prompt is too long: N
 * tokens > M maximum". Claude Code compacts the conversation on that wording; on another provider's
 * ("maximum context length is …") it failed the same request again and again
 * (musistudio/claude-code-router#1799 saw the same through another gateway). The counts come from
 * the provider's message where it states them in a known form; its words follow in parentheses.
 */
function promptTooLong(message: string): string {
  if (/prompt is too long/i.test(message)) return message;
  const counts = stateCounts(message);
  return counts ? `prompt is too long: ${counts.tokens} tokens > ${counts.limit} maximum (${message})` : `prompt is too long (${message})`;
}

/** The prompt's tokens and the limit, as OpenAI and vLLM, Gemini and Mistral state them. */
const countForms: ReadonlyArray<{ pattern: RegExp; tokens: number; limit: number }> = [
  // OpenAI: "maximum context length is 128000 tokens. However, your messages resulted in 130123 tokens";
  // vLLM: "maximum context length of 262144 tokens. You requested a total of 262462 tokens".
  { pattern: /maximum context length (?:is|of) (\d+) tokens.*?(?:resulted in|requested a total of) (\d+) tokens/s, tokens: 2, limit: 1 },
  // Gemini: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)".
  { pattern: /input token count \((\d+)\) exceeds the maximum number of tokens allowed \((\d+)\)/, tokens: 1, limit: 2 },
  // Mistral: "Prompt contains 40000 tokens … too large for model with 32768 maximum context length".
  { pattern: /contains (\d+) tokens.*?with (\d+) maximum context length/s, tokens: 1, limit: 2 },
];

function stateCounts(message: string): { tokens: string; limit: string } | undefined {
  for (const form of countForms) {
    const found = form.pattern.exec(message);
    if (found) return { tokens: found[form.tokens]!, limit: found[form.limit]! };
  }
  return undefined;
}

/**
 * The error type by HTTP status, as Anthropic's "Errors" page pairs them (400 invalid_request,
 * 401 authentication, 403 permission, 404 not_found, 413 request_too_large, 429 rate_limit,
 * 500 api_error, 529 overloaded; other 4XX are invalid_request_error). Switchboard's 503 (no
 * candidate could answer, or draining) is Anthropic's "temporarily overloaded", and its 504 is
 * openapi.json's `timeout_error` (GatewayTimeoutError).
 */
export function anthropicErrorType(error: GatewayError): AnthropicErrorType {
  if (error.code === 'SB_ERR_UPSTREAM_TIMEOUT') return 'timeout_error';
  switch (error.status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return error.status >= 400 && error.status < 499 ? 'invalid_request_error' : 'api_error';
  }
}
