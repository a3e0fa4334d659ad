import type { ContextOverflow, GatewayError } from '../../core/errors.ts';
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

/**
 * openapi.json `ErrorResponse`, as the body of an error answer and the data of an `error` stream
 * event, with the `details` object that @anthropic-ai/sdk 1.x reads besides (`error.details.error_code`
 * picks the error class in client.ts `makeStatusError`; its helpers act on some codes).
 */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string; details?: { error_code: string } };
}

/**
 * The `error_code`s of Anthropic's own that Switchboard answers with, as a GatewayError's
 * `publicCode`: `thread_unsupported_request` (@anthropic-ai/sdk resources/messages/messages.ts
 * `ThreadUnsupportedRequestErrorDetails`), on which the SDK's tool runner sends the full
 * conversation without `thread` (lib/internal/threads/ThreadState.ts `recoversFrom`).
 */
const anthropicErrorCodes: ReadonlySet<string> = new Set(['thread_unsupported_request']);

/** GatewayError → Anthropic's error body `{"type": "error", "error": {"type", "message"}}`. */
export function formatAnthropicError(error: GatewayError): AnthropicErrorBody {
  const message = callerMessage(error);
  return {
    type: 'error',
    error: {
      type: anthropicErrorType(error),
      message: error.code === 'SB_ERR_CONTEXT_LENGTH' ? contextOverflowMessage(error, message) : message,
      ...(error.publicCode !== undefined && anthropicErrorCodes.has(error.publicCode) ? { details: { error_code: error.publicCode } } : {}),
    },
  };
}

/**
 * A context overflow (another provider's, or every candidate's window too small), worded as
 * Anthropic words its own, numbers first, the original words after in parentheses:
 * - the prompt alone too long: "prompt is too long: N tokens > M maximum". Claude Code compacts
 *   the conversation on that wording; on another provider's ("maximum context length is …") it
 *   failed the same request again and again (musistudio/claude-code-router#1799 saw the same
 *   through another gateway);
 * - the prompt fits but not with the output asked for: "input length and `max_tokens` exceed
 *   context limit: P + T > M, decrease input length or `max_tokens` and try again", on which
 *   Claude Code lowers `max_tokens` and sends the request again (anthropics/claude-code#476 and
 *   others quote Anthropic's message).
 * The numbers are the error's own (`contextOverflow`), else read from the provider's message
 * where it states them in a known form.
 */
function contextOverflowMessage(error: GatewayError, message: string): string {
  if (/prompt is too long|exceed context limit/i.test(message)) return message;
  const counts = error.contextOverflow ?? stateCounts(message);
  if (!counts) return `prompt is too long (${message})`;
  const { promptTokens, outputTokens, limit } = counts;
  if (outputTokens > 0 && promptTokens < limit) {
    return `input length and \`max_tokens\` exceed context limit: ${promptTokens} + ${outputTokens} > ${limit}, decrease input length or \`max_tokens\` and try again (${message})`;
  }
  return `prompt is too long: ${promptTokens} tokens > ${limit} maximum (${message})`;
}

/** How providers state an overflow's numbers; each reads a match into prompt, output and limit. */
const countForms: ReadonlyArray<{ pattern: RegExp; read: (found: RegExpExecArray) => ContextOverflow }> = [
  // OpenAI's older form, OpenRouter's and vLLM's: "maximum context length is 8192 tokens. However,
  // you requested 8500 tokens (7500 in the messages, 1000 in the completion)"; "… requested about
  // 132463 tokens (1463 of text input, 131000 in the output)"; "… requested a total of 5000 tokens:
  // 4000 tokens from the input messages and 1000 tokens for the completion". The prompt is what
  // was requested less the output (OpenRouter may list text, image and tool input apart).
  {
    pattern: /maximum context length (?:is|of) (\d+) tokens.*?requested (?:about |a total of )?(\d+) tokens[ :(].*?(\d+) (?:tokens )?(?:in the completion|for the completion|in the output)/s,
    read: (found) => ({ limit: Number(found[1]), promptTokens: Number(found[2]) - Number(found[3]), outputTokens: Number(found[3]) }),
  },
  // OpenAI: "maximum context length is 128000 tokens. However, your messages resulted in 130123 tokens";
  // vLLM: "maximum context length of 262144 tokens. You requested a total of 262462 tokens".
  {
    pattern: /maximum context length (?:is|of) (\d+) tokens.*?(?:resulted in|requested a total of) (\d+) tokens/s,
    read: (found) => ({ limit: Number(found[1]), promptTokens: Number(found[2]), outputTokens: 0 }),
  },
  // vLLM: "'max_tokens' or 'max_completion_tokens' is too large: 2000. This model's maximum context
  // length is 4096 tokens and your request has 2104 input tokens (2000 > 4096 - 2104)".
  {
    pattern: /is too large: (\d+)\. This model's maximum context length is (\d+) tokens and your request has (\d+) input tokens/,
    read: (found) => ({ outputTokens: Number(found[1]), limit: Number(found[2]), promptTokens: Number(found[3]) }),
  },
  // Gemini: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)".
  {
    pattern: /input token count \((\d+)\) exceeds the maximum number of tokens allowed \((\d+)\)/,
    read: (found) => ({ promptTokens: Number(found[1]), limit: Number(found[2]), outputTokens: 0 }),
  },
  // Mistral: "Prompt contains 40000 tokens … too large for model with 32768 maximum context length".
  {
    pattern: /contains (\d+) tokens.*?with (\d+) maximum context length/s,
    read: (found) => ({ promptTokens: Number(found[1]), limit: Number(found[2]), outputTokens: 0 }),
  },
];

function stateCounts(message: string): ContextOverflow | undefined {
  for (const form of countForms) {
    const found = form.pattern.exec(message);
    if (found) return form.read(found);
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
