import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import type { HttpClient, UpstreamRequest } from '../../core/http-client.ts';
import type { ProviderCall, ProviderSettings } from '../../core/provider-adapter.ts';
import { float32Base64 } from '../_shared/float32-base64.ts';
import { errorType } from './errors.ts';
import { createBedrockAdapter } from './index.ts';
import { invalidAnswerError } from '../../../test/helpers/invalid-answer.ts';

interface Canned {
  status?: number;
  headers?: Record<string, string>;
  body: string;
}

/** An HttpClient that records what the adapter sends and answers from `reply`. */
function fakeHttp(reply: (request: UpstreamRequest) => Canned = () => ({ body: '{"output":{"message":{"content":[{"text":"ok"}]}},"stopReason":"end_turn"}' })) {
  const sent: UpstreamRequest[] = [];
  const http: HttpClient = {
    async send(request) {
      sent.push(request);
      const answer = reply(request);
      return {
        status: answer.status ?? 200,
        headers: answer.headers ?? {},
        body: new ReadableStream<Uint8Array>({ start: (controller) => (controller.enqueue(new TextEncoder().encode(answer.body)), controller.close()) }),
        text: async () => answer.body,
        discard: async () => undefined,
      };
    },
  };
  return { http, sent };
}

const images = { fetch: async () => ({ mediaType: 'image/png', data: new Uint8Array() }) };
const settings = (options: Record<string, unknown>, extra: Partial<ProviderSettings> = {}): ProviderSettings => ({ id: 'aws', type: 'bedrock', headers: {}, timeoutMs: 1000, options, ...extra });
const keys = { region: 'us-west-2', aws_access_key_id: 'AKIACONFIG', aws_secret_access_key: 'config-secret' };
const call: ProviderCall = { model: 'anthropic.claude-3-5-sonnet-20240620-v1:0', signal: new AbortController().signal, timeoutMs: 1000, requestId: 'req' };
const request: ChatRequest = { model: 'claude', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, includeUsage: false, metadata: {}, hints: {} };

describe('bedrock adapter: endpoint, signing and credentials', () => {
  it('signs the exact URL (model id encoded as the SDK does), headers and body it sends', async () => {
    const { http, sent } = fakeHttp();
    const adapter = createBedrockAdapter(settings({ ...keys, aws_session_token: 'config-token' }, { headers: { 'x-team': 'search' } }), { http, images }, {});
    await adapter.chat(request, call);
    const upstream = sent[0]!;
    assert.equal(upstream.url, 'https://bedrock-runtime.us-west-2.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    assert.equal(upstream.headers.host, 'bedrock-runtime.us-west-2.amazonaws.com');
    assert.equal(upstream.headers['x-amz-security-token'], 'config-token');
    assert.match(
      upstream.headers.authorization ?? '',
      /^AWS4-HMAC-SHA256 Credential=AKIACONFIG\/\d{8}\/us-west-2\/bedrock\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-team, Signature=[0-9a-f]{64}$/,
    );
    // Re-signing what was sent, at the time it was signed, gives the same signature.
    const { authorization, ...unsigned } = upstream.headers;
    const date = upstream.headers['x-amz-date']!.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');
    const signer = new SignatureV4({ service: 'bedrock', region: 'us-west-2', credentials: { accessKeyId: 'AKIACONFIG', secretAccessKey: 'config-secret', sessionToken: 'config-token' }, sha256: Sha256 });
    const url = new URL(upstream.url);
    const again = await signer.sign({ method: 'POST', protocol: url.protocol, hostname: url.hostname, path: url.pathname, query: {}, headers: unsigned, body: upstream.body as string }, { signingDate: new Date(date) });
    assert.equal(again.headers.authorization, authorization);
  });

  it('refuses a model id Bedrock could not have with a 400 before any call, and encodes ARNs as the SDK does', async () => {
    const { http, sent } = fakeHttp();
    const adapter = createBedrockAdapter(settings(keys), { http, images }, {});
    for (const model of ['..', '../../evil', '.hidden', 'model?x=1', 'model#x', 'a b', '', 'x'.repeat(2049)]) {
      for (const attempt of [() => adapter.chat(request, { ...call, model }), () => adapter.streamChat({ ...request, stream: true }, { ...call, model })]) {
        await assert.rejects(attempt(), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST' && error.status === 400 && error.param === 'model', JSON.stringify(model));
      }
    }
    assert.equal(sent.length, 0);
    const arn = 'arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0';
    await adapter.chat(request, { ...call, model: arn });
    assert.equal(sent[0]!.url, 'https://bedrock-runtime.us-west-2.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse');
  });

  it('prefers config over the environment, and a Bedrock API key over signing at each level', async () => {
    const environment = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: 'env-token', AWS_BEARER_TOKEN_BEDROCK: 'env-bearer' };
    const sentWith = async (options: Record<string, unknown>, env: Record<string, string>, apiKey?: string) => {
      const { http, sent } = fakeHttp();
      await createBedrockAdapter(settings(options, apiKey ? { apiKey } : {}), { http, images }, env).chat(request, call);
      return sent[0]!;
    };
    const configKeys = await sentWith(keys, environment);
    assert.match(configKeys.headers.authorization ?? '', /Credential=AKIACONFIG\/\d{8}\/us-west-2\//);
    assert.equal(configKeys.headers['x-amz-security-token'], undefined, 'the environment session token does not go with config keys');
    const configBearer = await sentWith(keys, environment, 'config-bearer');
    assert.equal(configBearer.headers.authorization, 'Bearer config-bearer');
    assert.equal(configBearer.headers['x-amz-date'], undefined);
    const environmentBearer = await sentWith({}, environment);
    assert.equal(environmentBearer.headers.authorization, 'Bearer env-bearer');
    assert.ok(environmentBearer.url.startsWith('https://bedrock-runtime.eu-west-1.amazonaws.com/'));
    const { AWS_BEARER_TOKEN_BEDROCK: _bearer, AWS_REGION: _region, ...keysOnly } = environment;
    const environmentKeys = await sentWith({}, { ...keysOnly, AWS_DEFAULT_REGION: 'ap-southeast-2' });
    assert.match(environmentKeys.headers.authorization ?? '', /Credential=AKIAENV\/\d{8}\/ap-southeast-2\/bedrock\//);
    assert.equal(environmentKeys.headers['x-amz-security-token'], 'env-token');
  });

  it('reads the environment once, when the adapter is created', async () => {
    const environment: Record<string, string | undefined> = { AWS_REGION: 'us-east-1', AWS_BEARER_TOKEN_BEDROCK: 'first' };
    const { http, sent } = fakeHttp();
    const adapter = createBedrockAdapter(settings({}), { http, images }, environment);
    environment.AWS_BEARER_TOKEN_BEDROCK = 'second';
    await adapter.chat(request, call);
    assert.equal(sent[0]!.headers.authorization, 'Bearer first');
  });

  it('fails at startup, naming the settings but never their values, when region or credentials are missing', () => {
    const { http } = fakeHttp();
    const create = (options: Record<string, unknown>, environment: Record<string, string>, extra: Partial<ProviderSettings> = {}) => () =>
      createBedrockAdapter(settings(options, extra), { http, images }, environment);
    assert.throws(create({ aws_access_key_id: 'AKIA', aws_secret_access_key: 'shh-secret' }, {}), /Provider "aws" \(bedrock\): no AWS region: set "region" in its config, or AWS_REGION \/ AWS_DEFAULT_REGION/);
    assert.throws(create({ region: 'us-east-1' }, {}), /no credentials: set "api_key"/);
    assert.throws(create({ region: 'us-east-1', aws_access_key_id: 'AKIA' }, {}), (error: unknown) => {
      assert.match(String(error), /aws_access_key_id and aws_secret_access_key in its config must be set together/);
      assert.doesNotMatch(String(error), /AKIA/);
      return true;
    });
    // A base_url and an API key need no region; signing does.
    assert.doesNotThrow(create({}, {}, { baseUrl: 'http://127.0.0.1:9', apiKey: 'key' }));
    assert.throws(create({ aws_access_key_id: 'AKIA', aws_secret_access_key: 'x' }, {}, { baseUrl: 'http://127.0.0.1:9' }), /requests are signed for a region/);
  });
});

describe('bedrock adapter: errors', () => {
  const failWith = async (status: number, headers: Record<string, string>, body: string) => {
    const { http } = fakeHttp(() => ({ status, headers, body }));
    const adapter = createBedrockAdapter(settings(keys), { http, images }, {});
    try {
      await adapter.chat(request, call);
    } catch (error) {
      assert.ok(GatewayError.isInstance(error));
      return error;
    }
    throw new Error('expected a failure');
  };

  it('maps Bedrock error answers by status and type, keeping the message and retry-after', async () => {
    const coral = (type: string) => ({ 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` });
    const context = await failWith(400, coral('ValidationException'), '{"message":"Input is too long for requested model."}');
    assert.equal(context.code, 'SB_ERR_CONTEXT_LENGTH');
    assert.match(context.message, /answered 400: ValidationException: Input is too long/);
    const bad = await failWith(400, coral('ValidationException'), '{"message":"The model returned the following errors: temperature: range: 0..1"}');
    assert.equal(bad.code, 'SB_ERR_UPSTREAM_BAD_REQUEST');
    const throttled = await failWith(429, { ...coral('ThrottlingException'), 'retry-after': '3' }, '{"message":"Too many requests, please wait before trying again."}');
    assert.deepEqual([throttled.code, throttled.retryable, throttled.retryAfterSeconds], ['SB_ERR_UPSTREAM_RATE_LIMITED', true, 3]);
    const quota = await failWith(400, coral('ServiceQuotaExceededException'), '{"message":"Your request exceeds the service quota."}');
    assert.equal(quota.code, 'SB_ERR_UPSTREAM_RATE_LIMITED');
    assert.equal((await failWith(503, coral('ServiceUnavailableException'), '{"message":"Bedrock is unable to process your request."}')).code, 'SB_ERR_UPSTREAM_UNAVAILABLE');
    assert.equal((await failWith(403, coral('AccessDeniedException'), '{"Message":"User is not authorized"}')).code, 'SB_ERR_UPSTREAM_AUTH');
    assert.equal((await failWith(408, coral('ModelTimeoutException'), '{"message":"Model has timed out"}')).code, 'SB_ERR_UPSTREAM_TIMEOUT');
    assert.match((await failWith(502, {}, '<html>Bad gateway</html>')).message, /answered 502: <html>Bad gateway/);
  });

  it("counts a model id Bedrock cannot call as it is as the deployment's 404, not the caller's 400 (outside review)", async () => {
    const coral = { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' };
    for (const message of [
      'The provided model identifier is invalid.',
      "Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
      "The provided model doesn't support on-demand throughput.",
      "This action doesn't support the model that you provided. Try again with a supported text or chat model.",
    ]) {
      const error = await failWith(400, coral, JSON.stringify({ message }));
      assert.deepEqual([error.code, error.retryable], ['SB_ERR_UPSTREAM_NOT_FOUND', true], message);
    }
  });

  it('finds the error type where the SDK looks for it', () => {
    assert.equal(errorType({ 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' }, {}), 'ThrottlingException');
    assert.equal(errorType({}, { __type: 'com.amazonaws.bedrockruntime#ValidationException' }), 'ValidationException');
    assert.equal(errorType({}, { code: 'AccessDeniedException' }), 'AccessDeniedException');
    assert.equal(errorType({}, { message: 'x' }), undefined);
  });
});

describe('bedrock adapter: 200 answers that are not a ConverseResponse', () => {
  const chatWith = (body: string) => createBedrockAdapter(settings(keys), { http: fakeHttp(() => ({ body })).http, images }, {}).chat(request, call);

  it('refuses a body without output.message.content, naming what is missing', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{"foo":"bar"}', /^Provider "aws" answered with a body that is not a ConverseResponse: "output.message" is not an object$/],
      ['{"output":{"message":{"role":"assistant"}},"stopReason":"end_turn"}', /"output.message.content" is not an array/],
      ['{"output":{"message":{"content":[null]}},"stopReason":"end_turn"}', /output.message.content\[0\] is not an object/],
      ['"config-secret"', /it is not a JSON object/],
    ];
    for (const [body, pattern] of cases) {
      await assert.rejects(
        chatWith(body),
        invalidAnswerError(pattern, { secret: 'secret' }),
        body,
      );
    }
  });

  it('accepts an answer a guardrail stopped, and one with no content blocks', async () => {
    const stopped = await chatWith('{"output":{"message":{"role":"assistant","content":[{"text":"Sorry, I cannot answer that."}]}},"stopReason":"guardrail_intervened"}');
    assert.equal(stopped.finishReason, 'content-filter');
    const empty = await chatWith('{"output":{"message":{"role":"assistant","content":[]}},"stopReason":"end_turn"}');
    assert.deepStrictEqual(empty.content, []);
  });

  it('answers a generation Bedrock reports as malformed with a retryable upstream error, never as an answer', async () => {
    for (const reason of ['malformed_model_output', 'malformed_tool_use']) {
      await assert.rejects(
        chatWith(`{"output":{"message":{"role":"assistant","content":[{"text":"{\\"broken"}]}},"stopReason":"${reason}","usage":{"inputTokens":3,"outputTokens":2}}`),
        (error: unknown) => {
          assert.ok(GatewayError.isInstance(error));
          assert.equal(error.code, 'SB_ERR_UPSTREAM_ERROR');
          assert.equal(error.retryable, true);
          assert.match(error.message, new RegExp(`stopReason: ${reason}$`));
          assert.deepStrictEqual(error.usage, { inputTokens: 3, outputTokens: 2 }, 'what Bedrock billed for it');
          return true;
        },
        reason,
      );
    }
  });
});

describe('bedrock adapter: embeddings through InvokeModel', () => {
  const embed = async (model: string, input: string[], extra: Record<string, unknown>, reply: (request: UpstreamRequest) => Canned) => {
    const { http, sent } = fakeHttp(reply);
    const adapter = createBedrockAdapter(settings(keys), { http, images }, {});
    const result = await adapter.embed!({ model: 'embed', input, metadata: {}, ...extra }, { ...call, model });
    return { result, sent };
  };

  it('calls Titan v2 once per input with dimensions and normalize, counting its tokens', async () => {
    const { result, sent } = await embed('amazon.titan-embed-text-v2:0', ['alpha', 'beta gamma'], { dimensions: 256 }, (request) => {
      const text = (JSON.parse(request.body as string) as { inputText: string }).inputText;
      return { body: JSON.stringify({ embedding: [text.length, 0.5], inputTextTokenCount: text.length }) };
    });
    assert.deepStrictEqual(sent.map((request) => request.url), Array(2).fill('https://bedrock-runtime.us-west-2.amazonaws.com/model/amazon.titan-embed-text-v2%3A0/invoke'));
    assert.deepStrictEqual(sent.map((request) => JSON.parse(request.body as string)), [
      { inputText: 'alpha', dimensions: 256, normalize: true },
      { inputText: 'beta gamma', dimensions: 256, normalize: true },
    ]);
    assert.deepStrictEqual(result, { model: 'amazon.titan-embed-text-v2:0', embeddings: [[5, 0.5], [10, 0.5]], usage: { inputTokens: 15, outputTokens: 0 } });
  });

  it('batches Cohere inputs by 96, reads both answer shapes and the token-count header, and encodes base64 on request', async () => {
    const input = Array.from({ length: 100 }, (_, index) => `text ${index}`);
    const { result, sent } = await embed('cohere.embed-v4:0', input, { inputType: 'search_query', dimensions: 512, encodingFormat: 'base64' }, (request) => {
      const texts = (JSON.parse(request.body as string) as { texts: string[] }).texts;
      const vectors = texts.map(() => [1, 2]);
      return { headers: { 'x-amzn-bedrock-input-token-count': String(texts.length) }, body: JSON.stringify({ embeddings: texts.length > 50 ? { float: vectors } : vectors }) };
    });
    assert.deepStrictEqual(sent.map((request) => JSON.parse(request.body as string)), [
      { texts: input.slice(0, 96), input_type: 'search_query', embedding_types: ['float'], output_dimension: 512 },
      { texts: input.slice(96), input_type: 'search_query', embedding_types: ['float'], output_dimension: 512 },
    ]);
    assert.equal(result.embeddings.length, 100);
    assert.equal(result.embeddings[0], float32Base64([1, 2]));
    assert.deepStrictEqual(result.usage, { inputTokens: 100, outputTokens: 0 });
  });

  it('fails with the usage of the calls Bedrock answered beside one that failed, and stops calling', async () => {
    // Titan: one call per text, four at a time; the third text's call fails.
    let calls = 0;
    const titan = embed('amazon.titan-embed-text-v2:0', Array.from({ length: 12 }, (_, index) => `t${index}`), {}, (request) => {
      const text = (JSON.parse(request.body as string) as { inputText: string }).inputText;
      calls += 1;
      if (text === 't2') return { status: 500, body: '{"message":"boom"}' };
      return { body: JSON.stringify({ embedding: [1, 2], inputTextTokenCount: 5 }) };
    });
    await assert.rejects(titan, (error: unknown) => {
      assert.ok(GatewayError.isInstance(error));
      // Every other call made was answered and billed; the texts left were not sent.
      assert.ok(calls < 12, `${calls} calls`);
      assert.deepStrictEqual(error.usage, { inputTokens: 5 * (calls - 1), outputTokens: 0 });
      return true;
    });
    // Cohere Embed: the first batch of 96 answers, the second fails.
    let batches = 0;
    const cohere = embed('cohere.embed-english-v3', Array.from({ length: 100 }, (_, index) => `text ${index}`), {}, (request) => {
      batches += 1;
      const texts = (JSON.parse(request.body as string) as { texts: string[] }).texts;
      if (batches === 2) return { status: 500, body: '{"message":"boom"}' };
      return { headers: { 'x-amzn-bedrock-input-token-count': String(texts.length * 2) }, body: JSON.stringify({ embeddings: texts.map(() => [1, 2]) }) };
    });
    await assert.rejects(cohere, (error: unknown) => GatewayError.isInstance(error) && error.usage?.inputTokens === 192 && error.usage.outputTokens === 0);
    // A failure of the first call has nothing billed before it.
    const first = embed('amazon.titan-embed-text-v2:0', ['only'], {}, () => ({ status: 500, body: '{"message":"boom"}' }));
    await assert.rejects(first, (error: unknown) => GatewayError.isInstance(error) && error.usage === undefined);
  });

  it('refuses answers without one vector per input', async () => {
    const invalid = (pattern: RegExp) => invalidAnswerError(pattern, { provider: 'aws' });
    await assert.rejects(embed('amazon.titan-embed-text-v2:0', ['a', 'b'], {}, () => ({ body: '{"foo":"bar"}' })), invalid(/not an embeddings answer: the embedding of input 0 is not a vector/));
    await assert.rejects(embed('amazon.titan-embed-text-v2:0', ['a'], {}, () => ({ body: '{"embedding":[],"inputTextTokenCount":1}' })), invalid(/the embedding of input 0 is not a vector/));
    await assert.rejects(embed('cohere.embed-english-v3', ['a', 'b'], {}, () => ({ body: '{"foo":"bar"}' })), invalid(/"embeddings" is not a non-empty list of vectors/));
    await assert.rejects(embed('cohere.embed-english-v3', ['a', 'b'], {}, () => ({ body: '{"embeddings":{"float":[[0.1]]}}' })), invalid(/"embeddings" holds 1 vectors for 2 inputs/));
    await assert.rejects(embed('cohere.embed-english-v3', ['a', 'b'], {}, () => ({ body: 'null' })), invalid(/"embeddings" is not a non-empty list of vectors/));
  });

  it('rejects models and settings it cannot send, before any call', async () => {
    const rejects = (model: string, extra: Record<string, unknown>, param: string) =>
      assert.rejects(embed(model, ['x'], extra, () => ({ body: '{}' })), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST' && error.param === param);
    await rejects('meta.llama3-3-70b-instruct-v1:0', {}, 'model');
    await rejects('cohere.embed-english-v3', { dimensions: 256 }, 'dimensions');
    await rejects('amazon.titan-embed-text-v1', { dimensions: 256 }, 'dimensions');
  });

  it('refuses sizes and lengths the model refuses, before any call (outside review)', async () => {
    const rejects = (model: string, input: string[], extra: Record<string, unknown>, param: string) =>
      assert.rejects(embed(model, input, extra, () => ({ body: '{}' })), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST' && error.param === param);
    // Titan v2 takes 256, 512 or 1024 (model-parameters-titan-embed-text.html); Cohere v4 256, 512, 1024 or 1536 (model-parameters-embed-v4.html).
    await rejects('amazon.titan-embed-text-v2:0', ['x'], { dimensions: 768 }, 'dimensions');
    await rejects('cohere.embed-v4:0', ['x'], { dimensions: 768 }, 'dimensions');
    // Cohere v3 takes texts of at most 2048 characters (model-parameters-embed.html).
    await rejects('cohere.embed-english-v3', ['x', 'y'.repeat(2049)], {}, 'input');
    const { sent } = await embed('cohere.embed-v4:0', ['y'.repeat(2049)], {}, () => ({ body: '{"embeddings":{"float":[[1]]}}' }));
    assert.equal(sent.length, 1);
  });
});
