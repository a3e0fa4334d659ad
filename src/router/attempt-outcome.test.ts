import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../core/errors.ts';
import type { AttemptRecord } from '../core/ledger.ts';
import { allFailed } from './attempt-outcome.ts';

const attempt = (errorCode: string, upstreamStatus: number): AttemptRecord => ({
  model: 'm',
  provider: 'p',
  upstreamModel: 'm',
  outcome: 'error',
  errorCode,
  upstreamStatus,
  message: `answered ${upstreamStatus}`,
  latencyMs: 3,
});
const rateLimited = new GatewayError('SB_ERR_UPSTREAM_RATE_LIMITED', 'Provider "p" answered 429', { status: 429, provider: 'p', upstreamStatus: 429 });

describe('the error of a request whose every attempt failed (../shared/SPEC.md: 502/503/504, 429 with retry-after)', () => {
  it('is a 5xx when the last failure was a rate limit but others were not', () => {
    const error = allFailed([attempt('SB_ERR_UPSTREAM_ERROR', 500), attempt('SB_ERR_UPSTREAM_RATE_LIMITED', 429)], rateLimited);
    assert.equal(error.status, 502);
    assert.equal(error.code, 'SB_ERR_UPSTREAM_ERROR');
    assert.match(error.message, /^All 2 attempts failed: p\/m: answered 500; p\/m: answered 429/);
  });

  it('is a 429 with a retry-after when every failure was a rate limit, the provider\'s wait when it gave one', () => {
    const attempts = [attempt('SB_ERR_UPSTREAM_RATE_LIMITED', 429), attempt('SB_ERR_UPSTREAM_RATE_LIMITED', 429)];
    const withoutWait = allFailed(attempts, rateLimited);
    assert.deepEqual([withoutWait.status, withoutWait.retryAfterSeconds], [429, 1]);
    const withWait = allFailed(attempts, new GatewayError('SB_ERR_UPSTREAM_RATE_LIMITED', 'Provider "p" answered 429', { status: 429, retryAfterSeconds: 20 }));
    assert.deepEqual([withWait.status, withWait.retryAfterSeconds], [429, 20]);
  });

  it('says to come back when the first rate-limited candidate frees up: the shortest wait any gave', () => {
    const waits = [20, undefined, 5].map((seconds) => ({ ...attempt('SB_ERR_UPSTREAM_RATE_LIMITED', 429), ...(seconds !== undefined ? { retryAfterSeconds: seconds } : {}) }));
    // The last provider gave no wait: before, the answer said 1 s, though the others had said 20 and 5.
    assert.equal(allFailed(waits, rateLimited).retryAfterSeconds, 5);
  });
});
