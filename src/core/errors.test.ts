import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError, withUsage } from './errors.ts';

describe('withUsage', () => {
  it('copies an error with the usage a failed call reported, keeping all it carried and leaving the original as it was', () => {
    const original = new GatewayError('SB_ERR_UPSTREAM_ERROR', 'Provider "p" ended the generation', { provider: 'p', upstreamStatus: 200, cause: new Error('underneath') });
    const copy = withUsage(original, { inputTokens: 12, outputTokens: 3 });
    assert.ok(copy instanceof GatewayError && GatewayError.isInstance(copy));
    assert.deepEqual(
      [copy.code, copy.message, copy.provider, copy.upstreamStatus, copy.status, copy.retryable, copy.name, copy.stack, (copy.cause as Error).message],
      ['SB_ERR_UPSTREAM_ERROR', 'Provider "p" ended the generation', 'p', 200, 502, true, 'GatewayError', original.stack, 'underneath'],
    );
    assert.deepEqual(copy.usage, { inputTokens: 12, outputTokens: 3 });
    assert.equal(original.usage, undefined);
  });
});
