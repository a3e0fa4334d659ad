/**
 * Every failure Switchboard reports is a GatewayError with a stable code from this table.
 * Adapters map upstream failures into them; the ingress formats (OpenAI, Anthropic) shape them
 * for the caller at the edge only. docs/errors.md mirrors this table.
 */
import type { Usage } from './usage.ts';

/** What a code means to the caller and to the executor. */
export interface ErrorKind {
  status: number;
  /** Whether another attempt (same or next candidate) may succeed. */
  retryable: boolean;
  /** OpenAI error `type`. */
  type: string;
}

/** The table of error codes. */
export const errorKinds = {
  SB_ERR_INVALID_REQUEST: { status: 400, retryable: false, type: 'invalid_request_error' },
  SB_ERR_UNAUTHORIZED: { status: 401, retryable: false, type: 'authentication_error' },
  SB_ERR_MODEL_FORBIDDEN: { status: 403, retryable: false, type: 'permission_error' },
  SB_ERR_NOT_FOUND: { status: 404, retryable: false, type: 'invalid_request_error' },
  SB_ERR_METHOD_NOT_ALLOWED: { status: 405, retryable: false, type: 'invalid_request_error' },
  SB_ERR_MODEL_NOT_FOUND: { status: 404, retryable: false, type: 'invalid_request_error' },
  SB_ERR_BODY_TOO_LARGE: { status: 413, retryable: false, type: 'invalid_request_error' },
  SB_ERR_RATE_LIMITED: { status: 429, retryable: false, type: 'rate_limit_error' },
  SB_ERR_BUDGET_EXCEEDED: { status: 429, retryable: false, type: 'insufficient_quota' },
  SB_ERR_NO_CANDIDATE: { status: 400, retryable: false, type: 'invalid_request_error' },
  SB_ERR_CONTEXT_LENGTH: { status: 400, retryable: true, type: 'invalid_request_error' },
  SB_ERR_UPSTREAM_BAD_REQUEST: { status: 400, retryable: false, type: 'invalid_request_error' },
  SB_ERR_UPSTREAM_AUTH: { status: 502, retryable: true, type: 'api_error' },
  SB_ERR_UPSTREAM_NOT_FOUND: { status: 502, retryable: true, type: 'api_error' },
  SB_ERR_UPSTREAM_RATE_LIMITED: { status: 429, retryable: true, type: 'rate_limit_error' },
  SB_ERR_UPSTREAM_ERROR: { status: 502, retryable: true, type: 'api_error' },
  SB_ERR_UPSTREAM_UNAVAILABLE: { status: 503, retryable: true, type: 'api_error' },
  SB_ERR_UPSTREAM_TIMEOUT: { status: 504, retryable: true, type: 'timeout_error' },
  SB_ERR_UPSTREAM_CONNECTION: { status: 502, retryable: true, type: 'api_error' },
  SB_ERR_UPSTREAM_INVALID_RESPONSE: { status: 502, retryable: true, type: 'api_error' },
  SB_ERR_STREAM_INTERRUPTED: { status: 502, retryable: true, type: 'api_error' },
  SB_ERR_CLIENT_CLOSED: { status: 499, retryable: false, type: 'api_error' },
  SB_ERR_UNAVAILABLE: { status: 503, retryable: false, type: 'api_error' },
  SB_ERR_INTERNAL: { status: 500, retryable: false, type: 'api_error' },
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof errorKinds;

/** Extra facts an error may carry. */
export interface GatewayErrorOptions {
  cause?: unknown;
  /** Overrides the table's status (e.g. a provider's 500 vs 503). */
  status?: number;
  /** Seconds the caller should wait before retrying (from an upstream `retry-after`). */
  retryAfterSeconds?: number;
  /** The request field at fault, for 400s (OpenAI `param`). */
  param?: string;
  /** The provider that failed, for upstream errors. */
  provider?: string;
  /** The HTTP status the provider answered with, for upstream errors. */
  upstreamStatus?: number;
  /** A code for the caller other than the table's default (OpenAI `code`). */
  publicCode?: string;
  /**
   * What the failed call used, as the provider reported it: a generation that failed in its
   * hands (Bedrock's malformed_* stops, Gemini's MALFORMED_FUNCTION_CALL, a finish reason
   * `error`) is billed. The attempt's ledger entry and the row's tokens and cost include it.
   */
  usage?: Usage;
  /**
   * What overflowed a context window, when it is known in numbers: the edge words it for callers
   * that act on the numbers (Claude Code lowers `max_tokens` or compacts on Anthropic's wording).
   */
  contextOverflow?: ContextOverflow;
}

/** A prompt, plus the output asked for, too long for a context window (tokens). */
export interface ContextOverflow {
  promptTokens: number;
  /** The request's `max_tokens`; 0 when it set none or the limit was on the prompt alone. */
  outputTokens: number;
  limit: number;
}

const brand = Symbol.for('switchboard.GatewayError');

/** A failure with a stable code, an HTTP status and whether a retry may help. */
export class GatewayError extends Error {
  readonly [brand] = true;
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly type: string;
  readonly retryAfterSeconds?: number;
  readonly param?: string;
  readonly provider?: string;
  readonly upstreamStatus?: number;
  readonly publicCode?: string;
  readonly usage?: Usage;
  readonly contextOverflow?: ContextOverflow;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const kind: ErrorKind = errorKinds[code];
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? kind.status;
    this.retryable = kind.retryable;
    this.type = kind.type;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.param = options.param;
    this.provider = options.provider;
    this.upstreamStatus = options.upstreamStatus;
    this.publicCode = options.publicCode;
    this.usage = options.usage;
    this.contextOverflow = options.contextOverflow;
  }

  /** True for any GatewayError, even one from another copy of this module. */
  static isInstance(value: unknown): value is GatewayError {
    return typeof value === 'object' && value !== null && brand in value;
  }
}

/** A model name nothing resolves, whatever the key: 404, worded as OpenAI words it (`model_not_found`). */
export function modelNotFound(model: string): GatewayError {
  return new GatewayError('SB_ERR_MODEL_NOT_FOUND', `The model \`${model}\` does not exist or you do not have access to it.`, { param: 'model', publicCode: 'model_not_found' });
}

/** A request that conflicts with what is stored (a name taken, a key revoked): 409, OpenAI code `conflict`. */
export function conflict(message: string): GatewayError {
  return new GatewayError('SB_ERR_INVALID_REQUEST', message, { status: 409, publicCode: 'conflict' });
}

/**
 * A copy of the error carrying what the failed call used (a stream's error event said it:
 * src/router/peek-stream.ts): every property kept, its stack included, the original untouched.
 */
export function withUsage(error: GatewayError, usage: Usage): GatewayError {
  const copy = Object.create(Object.getPrototypeOf(error) as object, Object.getOwnPropertyDescriptors(error)) as GatewayError;
  // Node 24 keeps the stack behind an accessor that reads the original error (an own accessor that
  // answered undefined on the copy): copied as a plain value, so the copy names where it came from.
  Object.defineProperty(copy, 'stack', { value: error.stack, writable: true, enumerable: false, configurable: true });
  Object.defineProperty(copy, 'usage', { value: usage, enumerable: true, writable: false, configurable: true });
  return copy;
}

/** Wraps anything thrown into a GatewayError (unknown failures become SB_ERR_INTERNAL). */
export function toGatewayError(value: unknown): GatewayError {
  if (GatewayError.isInstance(value)) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new GatewayError('SB_ERR_INTERNAL', `Internal error: ${message}`, { cause: value });
}
