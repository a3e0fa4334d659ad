import type { GatewayError } from '../../core/errors.ts';
import { errorFromStatus, upstreamError, type ProviderErrorDetail, type UpstreamSource } from '../_shared/upstream-error.ts';
import type { AnthropicErrorDetail } from './wire-types.ts';

/**
 * Anthropic error body: `{"type": "error", "error": {"type", "message"}, "request_id"}`
 * (openapi.json `ErrorResponse`). The error `type` is the code; "prompt is too long" in the
 * message is how Anthropic words a context-window overflow, which the shared mapper recognises.
 */
export function readAnthropicError(body: unknown): ProviderErrorDetail {
  const error = (body as { error?: { type?: unknown; message?: unknown } } | null)?.error;
  if (!error || typeof error !== 'object') return {};
  return {
    ...(typeof error.message === 'string' ? { message: error.message } : {}),
    ...(typeof error.type === 'string' ? { code: error.type } : {}),
  };
}

/**
 * The HTTP status Anthropic pairs with each error type (openapi.json `ErrorType`; statuses from
 * Anthropic's errors page, https://docs.claude.com/en/api/errors). Used for errors that arrive
 * without a status: an in-band `event: error` mid-stream, or an error body in a 200.
 */
const statusByErrorType: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/**
 * An error that came without an HTTP status of its own → GatewayError, coded as its type's
 * status would be (`overloaded_error` is retryable, "prompt is too long" a context overflow).
 */
export function errorFromAnthropicDetail(detail: AnthropicErrorDetail | null | undefined, source: UpstreamSource): GatewayError {
  const type = detail?.type ?? 'api_error';
  const message = detail?.message?.trim() || 'no message';
  const mapped = errorFromStatus(statusByErrorType[type] ?? 500, source, { message, code: type });
  return upstreamError(mapped.code, source, `Provider "${source.provider}" reported an error (${source.redact(type)})`, message, {
    ...(mapped.publicCode ? { publicCode: mapped.publicCode } : {}),
  });
}
