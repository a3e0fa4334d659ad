import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.ts';
import { maxMessageLength } from '../validation.ts';
import { formatOpenAIError } from './format-error.ts';

describe('formatOpenAIError: GatewayError → {"error": {message, type, param, code}}', () => {
  it('gives the type, param and OpenAI code of each error', () => {
    assert.deepStrictEqual(formatOpenAIError(new GatewayError('SB_ERR_INVALID_REQUEST', 'Invalid value for temperature.', { param: 'temperature' })), {
      error: { message: 'Invalid value for temperature.', type: 'invalid_request_error', param: 'temperature', code: 'invalid_request' },
    });
    assert.deepStrictEqual(formatOpenAIError(new GatewayError('SB_ERR_UNAUTHORIZED', 'Incorrect API key provided.')), {
      error: { message: 'Incorrect API key provided.', type: 'authentication_error', param: null, code: 'invalid_api_key' },
    });
    assert.deepStrictEqual(formatOpenAIError(new GatewayError('SB_ERR_BODY_TOO_LARGE', 'The request body is too large.')).error.code, 'request_too_large');
    assert.deepStrictEqual(formatOpenAIError(new GatewayError('SB_ERR_BUDGET_EXCEEDED', 'Budget spent.')).error, {
      message: 'Budget spent.',
      type: 'insufficient_quota',
      param: null,
      code: 'budget_exceeded',
    });
    assert.equal(formatOpenAIError(new GatewayError('SB_ERR_MODEL_FORBIDDEN', 'No.', { publicCode: 'denied_by_rule' })).error.code, 'denied_by_rule');
    assert.equal(formatOpenAIError(new GatewayError('SB_ERR_UPSTREAM_UNAVAILABLE', 'Down.')).error.code, 'upstream_unavailable');
  });

  it('cuts long messages and params short, whatever raised them', () => {
    const body = formatOpenAIError(new GatewayError('SB_ERR_MODEL_NOT_FOUND', `The model \`${'m'.repeat(50_000)}\` does not exist.`, { param: 'p'.repeat(10_000) }));
    assert.ok(body.error.message.length <= maxMessageLength + 40, `message of ${body.error.message.length} characters`);
    assert.match(body.error.message, /more characters\)$/);
    assert.ok(body.error.param!.length < 200);
  });

  it('never shows the text of an internal failure (it may be a stack overflow or a library message)', () => {
    const body = formatOpenAIError(new GatewayError('SB_ERR_INTERNAL', 'Internal error: Maximum call stack size exceeded'));
    assert.equal(body.error.type, 'api_error');
    assert.equal(body.error.code, 'internal');
    assert.doesNotMatch(body.error.message, /call stack/);
  });
});
