import { GatewayError } from '../../src/core/errors.ts';

/**
 * An `assert.rejects` predicate for a provider's 200 that is not an answer
 * (src/providers/_shared/answer-shape.ts): a retryable 502 SB_ERR_UPSTREAM_INVALID_RESPONSE whose
 * message matches `pattern`, naming `provider` when given, and never holding `secret` (a key the
 * answer echoed) when given.
 */
export function invalidAnswerError(pattern: RegExp, options: { provider?: string; secret?: string } = {}): (error: unknown) => boolean {
  return (error) =>
    GatewayError.isInstance(error) &&
    error.code === 'SB_ERR_UPSTREAM_INVALID_RESPONSE' &&
    error.status === 502 &&
    error.retryable &&
    (options.provider === undefined || error.provider === options.provider) &&
    pattern.test(error.message) &&
    (options.secret === undefined || !error.message.includes(options.secret));
}
