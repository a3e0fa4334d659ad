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
  return { type: 'error', error: { type: anthropicErrorType(error), message: callerMessage(error) } };
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
