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
  const message = typeof error.message === 'string' ? error.message : undefined;
  const type = typeof error.type === 'string' ? error.type : undefined;
  return {
    ...(message !== undefined ? { message } : {}),
    ...(type !== undefined ? { code: type } : {}),
    ...(isOutOfCredit(type, message) ? { outOfCredit: true } : {}),
  };
}

/**
 * The account has no credit left. Anthropic's API answers it with a 400 `invalid_request_error`
 * "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to
 * upgrade or purchase credits." (anthropics/claude-code#4684, #34522, #66314), not only with the
 * 402 `billing_error` its errors page lists: either way no request succeeds until the operator
 * pays, whatever the caller sent, so it is the deployment's failure (SB_ERR_UPSTREAM_AUTH: the
 * next candidate at once), not the caller's bad request.
 */
function isOutOfCredit(type: string | undefined, message: string | undefined): boolean {
  return type === 'billing_error' || (message !== undefined && /credit balance is too low/i.test(message));
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
  const mapped = errorFromStatus(statusByErrorType[type] ?? 500, source, { message, code: type, ...(isOutOfCredit(type, message) ? { outOfCredit: true } : {}) });
  return upstreamError(mapped.code, source, `Provider "${source.provider}" reported an error (${source.redact(type)})`, message, {
    ...(mapped.publicCode ? { publicCode: mapped.publicCode } : {}),
  });
}
