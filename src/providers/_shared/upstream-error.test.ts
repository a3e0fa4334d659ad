import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatOpenAIError } from '../../api/openai/format-error.ts';
import { readOpenAIError } from '../openai-compatible/errors.ts';
import { errorFromStatus, type UpstreamSource } from './upstream-error.ts';

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
