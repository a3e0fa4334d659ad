import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatOpenAIError } from '../../api/openai/format-error.ts';
import { readOpenAIError } from '../openai-compatible/errors.ts';
import { GatewayError } from '../../core/errors.ts';
import type { UpstreamResponse } from '../../core/http-client.ts';
import { errorBodyLimit, errorFromResponse, errorFromStatus, type UpstreamSource } from './upstream-error.ts';

const source: UpstreamSource = { provider: 'oai', redact: (text) => text.replaceAll('sk-secret', '[redacted]') };

describe('a provider 400 any model would share (../shared/SPEC.md: returned as it is)', () => {
  it('keeps the provider\'s code and faulted field, and its message after the provider\'s name', () => {
    const detail = readOpenAIError({ error: { message: 'Invalid value for temperature', type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } });
    const body = formatOpenAIError(errorFromStatus(400, source, detail));
    assert.deepEqual(body.error, {
      message: 'Provider "oai" answered 400: Invalid value for temperature',
      type: 'invalid_request_error',
      param: 'temperature',
      code: 'invalid_value',
    });
  });

  it('keeps our own code where the provider gave none, and the context-length code for an overflow', () => {
    assert.equal(formatOpenAIError(errorFromStatus(400, source, { message: 'bad' })).error.code, 'upstream_bad_request');
    const overflow = errorFromStatus(400, source, { message: "This model's maximum context length is 8192 tokens", code: 'context_length_exceeded', param: 'messages' });
    assert.equal(formatOpenAIError(overflow).error.code, 'context_length_exceeded');
  });
});

describe('an error body is read only up to a small limit', () => {
  it('asks for at most errorBodyLimit bytes, and reports a longer body from its status alone', async () => {
    const limits: Array<number | undefined> = [];
    const response: UpstreamResponse = {
      status: 500,
      headers: {},
      body: new ReadableStream<Uint8Array>(),
      // As src/upstream/upstream-call.ts: a body over the limit fails the read (its connection closed).
      text: (maxBytes?: number) => {
        limits.push(maxBytes);
        return Promise.reject(new GatewayError('SB_ERR_UPSTREAM_INVALID_RESPONSE', 'Provider "oai" sent a body longer than 1 MiB, the limit; it was not read further'));
      },
      discard: async () => undefined,
    };
    const error = await errorFromResponse(response, source, readOpenAIError);
    assert.deepEqual(limits, [errorBodyLimit]);
    assert.equal(errorBodyLimit, 1024 * 1024);
    assert.equal(error.code, 'SB_ERR_UPSTREAM_ERROR');
    assert.equal(error.upstreamStatus, 500);
    assert.equal(error.message, 'Provider "oai" answered 500: HTTP 500');
  });
});
