import { GatewayError } from '../core/errors.ts';
import type { AttemptRecord } from '../core/ledger.ts';
import type { ModelInfo } from '../core/model.ts';

/**
 * The ledger's record of one attempt. `answeredStatus`: the HTTP status the provider answered
 * with (ProviderCall.upstreamStatus), which wins over the error's: an error found in a 200 (a
 * body that is not JSON, an error event in a stream) carries 200, not a status of its own.
 */
export function attemptRecord(model: ModelInfo, outcome: AttemptRecord['outcome'], latencyMs: number, error?: GatewayError, answeredStatus?: number): AttemptRecord {
  const upstreamStatus = answeredStatus ?? error?.upstreamStatus;
  return {
    model: model.id,
    provider: model.providerId,
    upstreamModel: model.upstream,
    outcome,
    latencyMs: Math.round(latencyMs),
    ...(error ? { errorCode: error.code, message: error.message } : {}),
    ...(upstreamStatus !== undefined ? { upstreamStatus } : {}),
    ...(error?.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
  };
}

/**
 * Failures that say the deployment is down or broken (5xx, timeouts, connection failures,
 * garbage answers, streams cut short, rejected credentials) and so count toward its circuit breaker. A request's
 * own fault (a 400, a context overflow), the caller leaving, and rate limits do not: a 429 is
 * the provider working as designed, handled by retry-after, fallback and the balancer.
 */
export function countsAgainstDeployment(error: GatewayError): boolean {
  switch (error.code) {
    case 'SB_ERR_UPSTREAM_ERROR':
    case 'SB_ERR_UPSTREAM_UNAVAILABLE':
    case 'SB_ERR_UPSTREAM_TIMEOUT':
    case 'SB_ERR_UPSTREAM_CONNECTION':
    case 'SB_ERR_UPSTREAM_INVALID_RESPONSE':
    case 'SB_ERR_STREAM_INTERRUPTED':
    case 'SB_ERR_UPSTREAM_AUTH':
    case 'SB_ERR_UPSTREAM_NOT_FOUND':
      return true;
    default:
      return false;
  }
}

/**
 * The error of a request whose every attempt failed, naming each attempt; with no attempt made
 * (every candidate in cooldown), a 503 whose retry-after is `cooldownLeftSeconds`, when the first
 * half-open probe may go.
 */
export function allFailed(attempts: readonly AttemptRecord[], lastError: GatewayError | undefined, cooldownLeftSeconds = 1): GatewayError {
  if (!lastError) {
    return new GatewayError('SB_ERR_UNAVAILABLE', 'No provider is available for this model right now (every candidate is in cooldown)', {
      status: 503,
      retryAfterSeconds: cooldownLeftSeconds,
    });
  }
  const failed = attempts.filter((attempt) => attempt.outcome === 'error');
  // One candidate, whose adapter refused the request before calling: its own 400, as it was.
  if (lastError.code === 'SB_ERR_INVALID_REQUEST' && failed.length === 1) return lastError;
  const summary = failed.map((attempt) => `${attempt.provider}/${attempt.upstreamModel}: ${attempt.message ?? attempt.errorCode}`).join('; ');
  const heading = failed.length === 1 ? '1 attempt failed' : `All ${failed.length} attempts failed`;
  const allRateLimited = failed.length > 0 && failed.every((attempt) => attempt.errorCode === 'SB_ERR_UPSTREAM_RATE_LIMITED');
  if (allRateLimited) {
    // ../shared/SPEC.md: a 429 always says when to come back; the provider's own wait when it gave one.
    return new GatewayError('SB_ERR_UPSTREAM_RATE_LIMITED', `${heading}: ${summary}`, {
      cause: lastError,
      status: 429,
      // When the first of them frees up: the shortest wait any provider gave, else the default.
      retryAfterSeconds: shortestWait(failed) ?? lastError.retryAfterSeconds ?? defaultRateLimitRetryAfterSeconds,
      provider: lastError.provider,
      upstreamStatus: lastError.upstreamStatus,
    });
  }
  // Some failures were not rate limits: the answer is a 5xx (SPEC: 502/503/504 when every
  // candidate failed), not the 429 of whichever attempt happened to come last.
  const last = lastError.code === 'SB_ERR_UPSTREAM_RATE_LIMITED' ? new GatewayError('SB_ERR_UPSTREAM_ERROR', lastError.message, { status: 502 }) : lastError;
  return new GatewayError(last.code, `${heading}: ${summary}`, {
    cause: lastError,
    status: last.status,
    retryAfterSeconds: last.retryAfterSeconds,
    provider: lastError.provider,
    upstreamStatus: lastError.upstreamStatus,
    publicCode: last.publicCode,
    ...(last.param !== undefined ? { param: last.param } : {}),
  });
}

/** The shortest retry-after the attempts' providers gave, if any gave one. */
function shortestWait(attempts: readonly AttemptRecord[]): number | undefined {
  let shortest: number | undefined;
  for (const attempt of attempts) {
    if (attempt.retryAfterSeconds !== undefined && (shortest === undefined || attempt.retryAfterSeconds < shortest)) shortest = attempt.retryAfterSeconds;
  }
  return shortest;
}

/** The retry-after of a 429 when every attempt was rate limited and no provider said how long to wait. */
const defaultRateLimitRetryAfterSeconds = 1;
