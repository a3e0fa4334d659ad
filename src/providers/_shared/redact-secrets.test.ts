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

  it("takes out a key echoed without its prefix (an outside probe's case), or in part: any run of 16 of its characters", () => {
    const probe = createRedactor(['sk-proj-PROBEOPENAIKEY1234567890abcdef']);
    assert.equal(probe('Incorrect API key provided: PROBEOPENAIKEY1234567890abcdef.'), 'Incorrect API key provided: [redacted].');
    assert.equal(probe('{"message":"bad key PROBEOPENAIKEY1234567890abcdef"}'), '{"message":"bad key [redacted]"}');
    // Masked at the front, at the end, or in the middle: each run of 16 or more goes, whole.
    assert.equal(probe('key sk-proj-***************234567890abcdef is invalid'), 'key sk-proj-***************234567890abcdef is invalid', 'a 15-character tail is left');
    assert.equal(probe('key sk-proj-**************1234567890abcdef is invalid'), 'key sk-proj-**************[redacted] is invalid');
    assert.equal(probe('key sk-proj-PROBEOPENAIKEY12****** is invalid'), 'key [redacted]****** is invalid');
    assert.equal(probe('a PROBEOPENAIKEY1234**** b ****KEY1234567890abcdef c'), 'a [redacted]**** b ****[redacted] c');
    // Echoed with another prefix, or glued to other text, the key's characters still go.
    assert.equal(probe('sk-PROBEOPENAIKEY1234567890abcdef'), 'sk[redacted]');
    assert.equal(probe('xxPROBEOPENAIKEY1234567890abcdefyy'), 'xx[redacted]yy');

    const anthropic = createRedactor(['sk-ant-api03-Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Ji0Hg9Fe8Dc7Ba6-AAAA']);
    assert.equal(anthropic('invalid x-api-key Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Ji0Hg9Fe8Dc7Ba6-AAAA'), 'invalid x-api-key [redacted]');
    assert.equal(anthropic('key ending 7Ba6-AAAA'), 'key ending 7Ba6-AAAA', 'a short tail is no secret');
    assert.equal(createRedactor(['gsk_Q2x9Lm4Np7Rt1Vw3Yz5Bc8Df0'])('token Q2x9Lm4Np7Rt1Vw3Yz5Bc8Df0 rejected'), 'token [redacted] rejected');
    assert.equal(createRedactor(['AIzaSyD4x7Qp2Lm9Rt6Vw3Yz8Bc1Df5Gh0Jk2Mn4'])('?k=SyD4x7Qp2Lm9Rt6Vw3Yz8Bc1Df5Gh0Jk2Mn4'), '?k=[redacted]');
    // A short key's body is taken out whole when it is long enough to be a secret.
    assert.equal(createRedactor(['sk-a1b2c3d4e5f6'])('got a1b2c3d4e5f6, want another'), 'got [redacted], want another');
    // A key without a known prefix: its runs, as any secret's.
    assert.equal(createRedactor(['Xq7Lm2Np9Rt4Vw1Yz6Bc3Df8Gh5Jk0Mn2'])('Unauthorized: ...Rt4Vw1Yz6Bc3Df8Gh5Jk0Mn2'), 'Unauthorized: ...[redacted]');
  });

  it('leaves short common strings of a key alone: its prefix, words and numbers under 16 characters', () => {
    const redact = createRedactor(['sk-proj-PROBEOPENAIKEY1234567890abcdef', 'bedrock-api-key-Q2x9Lm4Np7Rt1Vw3', 'proxy-token-1234567890']);
    for (const text of [
      'Incorrect API key provided: sk-proj-****cdef. You can find your API key at https://platform.openai.com/account/api-keys.',
      'model 1234567890 not found; PROBE OPENAI KEY abcdef',
      'send a bedrock-api-key- header',
      'proxy-token-123 expired',
    ]) {
      assert.equal(redact(text), text);
    }
    assert.equal(redact('proxy-token-1234567 expired'), '[redacted] expired', 'a run of 16 of a secret without a key prefix');
  });

  it("finds runs of a long secret (a token of kilobytes) from 31 characters, and is quick about it", () => {
    let seed = 12345;
    const token = Array.from({ length: 4000 }, () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[seed % 62];
    }).join('');
    const redact = createRedactor([`Bearer ${token}`]);
    assert.equal(redact(`bad token ${token.slice(1234, 1234 + 31)}!`), 'bad token [redacted]!');
    assert.equal(redact(`whole (${token}).`), 'whole ([redacted]).');
    const message = 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys. '.repeat(40);
    const started = performance.now();
    for (let index = 0; index < 20; index++) redact(message);
    assert.ok((performance.now() - started) / 20 < 5, 'a 4 KB message takes under 5 ms');
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
