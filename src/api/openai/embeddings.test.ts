import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.ts';
import { formatEmbeddingResponse, parseEmbeddingRequest } from './embeddings.ts';

function rejects(body: unknown, pattern: RegExp, param?: string): void {
  assert.throws(
    () => parseEmbeddingRequest(body, {}),
    (error: unknown) => {
      assert.ok(GatewayError.isInstance(error), String(error));
      assert.equal(error.status, 400);
      assert.match(error.message, pattern);
      if (param !== undefined) assert.equal(error.param, param);
      return true;
    },
  );
}

describe('parseEmbeddingRequest: OpenAI embeddings body → EmbeddingRequest', () => {
  it('maps a string input and every option, keeping the body (without Switchboard fields) as native', () => {
    const body = { model: 'embed', input: 'hello', dimensions: 256, encoding_format: 'base64', user: 'u-1', input_type: 'search_query', metadata: { team: 'a' } };
    assert.deepStrictEqual(parseEmbeddingRequest(body, { env: 'prod' }), {
      model: 'embed',
      input: ['hello'],
      dimensions: 256,
      encodingFormat: 'base64',
      user: 'u-1',
      inputType: 'search_query',
      metadata: { env: 'prod', team: 'a' },
      native: { format: 'openai-embeddings', body: { model: 'embed', input: 'hello', dimensions: 256, encoding_format: 'base64', user: 'u-1' } },
    });
  });

  it("reads OpenRouter's models and provider as routing hints, kept out of native", () => {
    const parsed = parseEmbeddingRequest({ model: 'embed', input: 'hi', models: ['other'], provider: { only: ['lab'], allow_fallbacks: false } }, {});
    assert.deepStrictEqual(parsed.hints, { models: ['other'], provider: { only: ['lab'], allowFallbacks: false } });
    assert.deepStrictEqual(parsed.native?.body, { model: 'embed', input: 'hi' });
  });

  it('takes a null option as absent and leaves it out of native (OpenAI refuses null: openapi.yaml types them string / integer)', () => {
    const parsed = parseEmbeddingRequest({ model: 'embed', input: 'hi', encoding_format: null, dimensions: null, user: null }, {});
    assert.deepStrictEqual(parsed.native?.body, { model: 'embed', input: 'hi' });
    assert.equal(parsed.encodingFormat, undefined);
  });

  it('keeps string arrays as inputs, and token-id inputs for OpenAI-style providers only (in native)', () => {
    assert.deepStrictEqual(parseEmbeddingRequest({ model: 'embed', input: ['a', 'b'] }, {}).input, ['a', 'b']);
    const tokens = parseEmbeddingRequest({ model: 'embed', input: [[1, 2], [3]] }, {});
    assert.deepStrictEqual(tokens.input, []);
    assert.deepStrictEqual(tokens.native?.body.input, [[1, 2], [3]]);
  });

  it('refuses an empty input, a bad model name, a typo of a known field and wrong types', () => {
    rejects({ model: 'embed', input: '' }, /must not be an empty string/, 'input');
    rejects({ model: 'embed', input: [] }, /input/);
    rejects({ input: 'x' }, /model/, 'model');
    rejects({ model: 'embed\r\nx', input: 'x' }, /printable ASCII/, 'model');
    rejects({ model: 'embed', input: 'x', dimensons: 5 }, /Did you mean 'dimensions'\?/, 'dimensons');
    rejects({ model: 'embed', input: 'x', encoding_format: 'int8' }, /encoding_format/, 'encoding_format');
    rejects([1], /must be a JSON object/);
  });

  // CreateEmbeddingRequest.input in ../shared/specs/openai/openapi.yaml.
  it('says an array of more than 2,048 inputs is too long (maxItems: 2048), whatever its items', () => {
    rejects({ model: 'embed', input: new Array(2049).fill('a') }, /too many items: at most 2048 inputs/, 'input');
    rejects({ model: 'embed', input: new Array(2049).fill([1, 2]) }, /too many items: at most 2048 inputs/, 'input');
    rejects({ model: 'embed', input: new Array(300_001).fill(1) }, /300000 token ids/, 'input');
    assert.equal(parseEmbeddingRequest({ model: 'embed', input: new Array(2048).fill('a') }, {}).input.length, 2048);
    assert.deepStrictEqual(parseEmbeddingRequest({ model: 'embed', input: new Array(5000).fill(7) }, {}).native?.body.input, new Array(5000).fill(7));
  });

  it('refuses an empty string inside an array as it does a lone one ("cannot be an empty string")', () => {
    rejects({ model: 'embed', input: [''] }, /must not be an empty string/, 'input[0]');
    rejects({ model: 'embed', input: ['a', 'b', ''] }, /must not be an empty string/, 'input[2]');
    rejects({ model: 'embed', input: ['a', 1] }, /expected string/, 'input[1]');
  });

  it('takes negative token ids: the spec gives token ids no minimum (items: type integer)', () => {
    assert.deepStrictEqual(parseEmbeddingRequest({ model: 'embed', input: [-1] }, {}).native?.body.input, [-1]);
    rejects({ model: 'embed', input: [1.5] }, /input\[0\]/, 'input[0]');
  });

  it('refuses a 1.5M-element token array by its size, before reading its elements', () => {
    const body = { model: 'embed', input: new Array(1_500_000).fill(true) };
    const started = performance.now();
    rejects(body, /300000|2048/, 'input');
    assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms`);
  });
});

describe('formatEmbeddingResponse', () => {
  it("returns an OpenAI-style provider's body as it came", () => {
    const native = '{"object":"list","data":[],"model":"text-embedding-3-small","usage":{"prompt_tokens":1,"total_tokens":1}}';
    assert.equal(formatEmbeddingResponse({ model: 'x', embeddings: [], usage: { inputTokens: 0, outputTokens: 0 }, native: { format: 'openai-embeddings', body: native } }), native);
  });

  it("builds OpenAI's list body from other providers' vectors", () => {
    assert.deepStrictEqual(JSON.parse(formatEmbeddingResponse({ model: 'gemini-embedding-001', embeddings: [[0.1, 0.2], 'AAAA'], usage: { inputTokens: 4, outputTokens: 0 } })), {
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.1, 0.2] },
        { object: 'embedding', index: 1, embedding: 'AAAA' },
      ],
      model: 'gemini-embedding-001',
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
  });
});
