import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProviderSettings } from '../../core/provider-adapter.ts';
import { configuredSecrets, createRedactor, redactCredentialShapes } from './redact-secrets.ts';

describe('redacting secrets from upstream text', () => {
  it('takes out the configured secrets exactly, the longest first, and ignores values too short to be one', () => {
    const redact = createRedactor(['mistral-key-abcdef', 'mistral-key-abcdef-and-more', 'ollama', undefined]);
    assert.equal(redact('got mistral-key-abcdef-and-more and mistral-key-abcdef'), 'got [redacted] and [redacted]');
    assert.equal(redact('model not found on ollama'), 'model not found on ollama');
    // Characters that mean something in a pattern are matched as themselves.
    assert.equal(createRedactor(['a+b*c?(d)[e]{f}$^|.\\']).call(null, 'x a+b*c?(d)[e]{f}$^|.\\ y'), 'x [redacted] y');
  });

  it('takes out credentials by their shape, whoever configured them', () => {
    const cases: Array<[string, string]> = [
      ['authorization: Bearer 0123456789abcdef0123', 'authorization: Bearer [redacted]'],
      ['Authorization: Basic dXNlcjpwYXNzd29yZA==', 'Authorization: Basic [redacted]'],
      ['GET https://host/v1beta/models/x?key=AIzaSyD4x7Qp2Lm9Rt6Vw3Yz8Bc1Df5Gh0Jk2Mn4&alt=sse', 'GET https://host/v1beta/models/x?key=[redacted]&alt=sse'],
      ['url /v1?api_key=plain-value-1&x=1', 'url /v1?api_key=[redacted]&x=1'],
      ['{"x-api-key": "anything-at-all"}', '{"x-api-key": "[redacted]"}'],
      ['x-goog-api-key: some-google-key', 'x-goog-api-key: [redacted]'],
      ['api-key: 0f1e2d3c4b5a6978', 'api-key: [redacted]'],
      ['x-amz-security-token: IQoJb3JpZ2luX2Vj', 'x-amz-security-token: [redacted]'],
      ['Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/bedrock/aws4_request, Signature=0a1b2c3d4e5f', 'Credential=[redacted]/20250101/us-east-1/bedrock/aws4_request, Signature=[redacted]'],
      ['key sk-proj-A1b2C3d4E5f6G7h8I9j0 sent', 'key [redacted] sent'],
      ['sk-ant-api03-Zx8Yw7Vu6Ts5Rq4Po3Nm2 and sk-or-v1-2c26b46b68ffc68ff99b', '[redacted] and [redacted]'],
      ['gsk_Q2x9Lm4Np7Rt1Vw3Yz5Bc8Df0', '[redacted]'],
      ['ABSKQmVkcm9ja0FQSUtleS1zaW11bGF0b3I= or bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t', '[redacted] or [redacted]'],
    ];
    for (const [text, expected] of cases) assert.equal(redactCredentialShapes(text), expected, text);
  });

  it('leaves ordinary provider messages as they are', () => {
    for (const text of [
      "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
      'max_tokens: must be less than or equal to 4096',
      'too many tokens: total number of tokens in the prompt cannot exceed 4081 - received 4292.',
      'x-api-key header is required',
      'Unexpected token } in JSON at position 12',
      'Invalid value for "temperature": 3 is greater than the maximum of 2 (request id req_0123456789abcdef0123456789abcdef)',
      'ThrottlingException: Too many requests, please wait before trying again.',
    ]) {
      assert.equal(createRedactor(['configured-secret-value'])(text), text);
    }
  });

  it('keeps JSON text valid JSON', () => {
    const event = JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key: sk-ant-api03-Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1 (key=abc123def)' } });
    const redacted = createRedactor([])(event);
    assert.deepEqual(JSON.parse(redacted), { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key: [redacted] (key=[redacted])' } });
  });
});

describe('a provider\'s configured secrets', () => {
  it('are its API key, its header values but protocol ones (and a scheme\'s credential alone), and credential options', () => {
    const settings: ProviderSettings = {
      id: 'p',
      type: 'bedrock',
      apiKey: 'the-api-key',
      headers: { 'anthropic-version': '2023-06-01', 'x-org': 'org-value', authorization: 'Bearer proxy-token' },
      timeoutMs: 1000,
      options: { region: 'us-east-1', api_version: '2024-10-21', aws_access_key_id: 'AKIA-ID', aws_secret_access_key: 'aws-secret', aws_session_token: 'aws-token', unset: undefined },
    };
    assert.deepEqual(configuredSecrets(settings), ['the-api-key', 'org-value', 'Bearer proxy-token', 'proxy-token', 'AKIA-ID', 'aws-secret', 'aws-token']);
  });
});
