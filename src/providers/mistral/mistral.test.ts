import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fakeHttp } from '../../../test/helpers/fake-http.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import type { StreamEvent } from '../../core/stream-event.ts';
import { guardStream } from '../_shared/guard-stream.ts';
import { decodeServerSentEvents } from '../_shared/sse.ts';
import { errorFromStatus } from '../_shared/upstream-error.ts';
import { convertRequest } from './convert-request.ts';
import { convertResponse } from './convert-response.ts';
import { readMistralError } from './errors.ts';
import { createMistralAdapter } from './index.ts';
import { mistralChunkTransformer } from './stream.ts';
import { mistralToolCallId } from './tool-call-id.ts';
import type { MistralChatBody } from './wire-types.ts';
import { createRedactor } from '../_shared/redact-secrets.ts';
import type { UpstreamSource } from '../_shared/upstream-error.ts';
import { invalidAnswerError } from '../../../test/helpers/invalid-answer.ts';

/** A provider's source with no configured secrets. */
const testSource = (provider: string): UpstreamSource => ({ provider, redact: createRedactor([]) });

const base: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, includeUsage: false, metadata: {}, hints: {} };

/** Replays an SSE body split into `chunkSize`-byte pieces (mid-line, mid-UTF-8) through the adapter's stream. */
async function replay(source: string, chunkSize = 7, prefill?: string): Promise<StreamEvent[]> {
  const bytes = source.endsWith('.sse') ? await readFile(new URL(`./__fixtures__/${source}`, import.meta.url)) : new TextEncoder().encode(source);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += chunkSize) controller.enqueue(bytes.subarray(offset, offset + chunkSize));
      controller.close();
    },
  });
  const events: StreamEvent[] = [];
  for await (const event of guardStream(decodeServerSentEvents(body, mistralChunkTransformer({ source: testSource('mis'), requestedModel: 'asked', ...(prefill ? { prefill } : {}) })), testSource('mis'))) events.push(event);
  return events;
}

describe('mistral request conversion (golden)', () => {
  it('builds the exact ChatCompletionRequest body, mapping names and tool call ids', () => {
    const request: ChatRequest = {
      ...base,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }], developer: true },
        { role: 'user', name: 'ann', content: [{ type: 'text', text: 'Look:' }, { type: 'image', url: 'https://example.com/a.png', detail: 'low' }] },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'Need the weather.' },
            { type: 'tool-call', id: 'call_4XzlGBLtUe9dy3GVNV4jhq7h', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { type: 'tool-call', id: 'D681PevKs', name: 'get_time', arguments: '{}' },
          ],
        },
        { role: 'tool', toolCallId: 'call_4XzlGBLtUe9dy3GVNV4jhq7h', content: [{ type: 'text', text: '18C' }] },
        { role: 'tool', toolCallId: 'D681PevKs', content: [{ type: 'text', text: 'noon' }, { type: 'image', url: 'data:image/png;base64,AAAA' }] },
      ],
      tools: [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object' }, strict: true }, { name: 'get_time', parameters: { type: 'object' } }],
      toolChoice: 'required',
      parallelToolCalls: false,
      responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true },
      maxOutputTokens: 100,
      temperature: 0.3,
      topP: 0.9,
      stop: ['END'],
      seed: 7,
      n: 1,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      reasoningEffort: 'high',
      logprobs: true,
      user: 'u1',
      topK: 5,
    };
    const mapped = mistralToolCallId('call_4XzlGBLtUe9dy3GVNV4jhq7h');
    const { body, warnings } = convertRequest(request, 'mistral-small-latest');
    assert.deepStrictEqual(body, {
      model: 'mistral-small-latest',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } }] },
        {
          role: 'assistant',
          content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'Need the weather.' }] }],
          tool_calls: [
            { id: mapped, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'D681PevKs', type: 'function', function: { name: 'get_time', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: mapped, name: 'get_weather', content: '18C' },
        { role: 'tool', tool_call_id: 'D681PevKs', name: 'get_time', content: [{ type: 'text', text: 'noon' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
      ],
      tools: [
        { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' }, strict: true } },
        { type: 'function', function: { name: 'get_time', parameters: { type: 'object' } } },
      ],
      tool_choice: 'any',
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      max_tokens: 100,
      temperature: 0.3,
      top_p: 0.9,
      stop: ['END'],
      random_seed: 7,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      reasoning_effort: 'high',
    });
    assert.deepStrictEqual(warnings.map((warning) => warning.setting), ['messages.name', 'logprobs', 'user', 'top_k']);
  });

  it('maps tool call ids deterministically to nine letters or digits, keeping valid ones', () => {
    const first = mistralToolCallId('call_abc');
    assert.match(first, /^[a-zA-Z0-9]{9}$/);
    assert.equal(mistralToolCallId('call_abc'), first);
    assert.notEqual(mistralToolCallId('call_abd'), first);
    assert.equal(mistralToolCallId('abcDEF123'), 'abcDEF123');
    assert.match(mistralToolCallId('toolu_01A09q90qw90lq917835lq9'), /^[a-zA-Z0-9]{9}$/);
  });

  it('never relays unmodelled OpenAI fields: same-meaning ones are kept, the rest dropped with warnings', () => {
    const native = { model: 'x', messages: [], logit_bias: { 1: 2 }, store: true, prediction: { type: 'content', content: 'draft' }, safe_prompt: true, service_tier: null };
    const { body, warnings } = convertRequest({ ...base, stream: true, includeUsage: true, native: { format: 'openai-chat', body: native } }, 'mistral-small-latest');
    assert.deepStrictEqual(body, {
      model: 'mistral-small-latest',
      messages: [{ role: 'user', content: 'hi' }],
      prediction: { type: 'content', content: 'draft' },
      safe_prompt: true,
      stream: true,
    });
    assert.deepStrictEqual(
      warnings.map((warning) => [warning.type, warning.setting]),
      [['dropped-setting', 'logit_bias'], ['dropped-setting', 'store']],
    );
  });

  it("continues the caller's prefill (a final assistant turn) with prefix: true, which Mistral requires", () => {
    const { body, prefill } = convertRequest({ ...base, messages: [...base.messages, { role: 'assistant', content: [{ type: 'text', text: 'The colour is' }] }] }, 'm');
    assert.deepStrictEqual((body.messages as unknown[]).at(-1), { role: 'assistant', content: 'The colour is', prefix: true });
    assert.equal(prefill, 'The colour is', 'which the answer repeats, and the adapter drops');
    assert.equal(convertRequest({ ...base, assistantPrefix: 'So far' }, 'm').prefill, undefined, "a stream resume's prefix is the router's to drop");
    // A turn before the user's stays as it is.
    const earlier = convertRequest({ ...base, messages: [{ role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] }, ...base.messages] }, 'm');
    assert.deepStrictEqual((earlier.body.messages as unknown[])[0], { role: 'assistant', content: 'Hello.' });
  });

  it('drops an effort Mistral does not know with a warning and sends one it knows', () => {
    assert.equal(convertRequest({ ...base, reasoningEffort: 'none' }, 'm').body.reasoning_effort, 'none');
    const { body, warnings } = convertRequest({ ...base, reasoningEffort: 'medium', thinkingBudgetTokens: 100 }, 'm');
    assert.equal('reasoning_effort' in body, false);
    assert.deepStrictEqual(warnings.map((warning) => warning.setting), ['reasoning_effort', 'thinking']);
  });

  for (const [name, request, param] of [
    ['n > 1', { ...base, n: 2 }, 'n'],
    ['a temperature above 1.5', { ...base, temperature: 1.8 }, 'temperature'],
    ['a negative seed', { ...base, seed: -1 }, 'seed'],
    ['an inline PDF', { ...base, messages: [{ role: 'user', content: [{ type: 'file', mediaType: 'application/pdf', data: 'JVBE' }] }] }, 'messages'],
  ] as Array<[string, ChatRequest, string]>) {
    it(`refuses ${name} with a 400 before any call`, () => {
      assert.throws(() => convertRequest(request, 'm'), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST' && error.param === param);
    });
  }
});

describe('mistral response conversion (golden)', () => {
  it('turns the spec example ChatCompletionResponse into the exact result', async () => {
    const body = JSON.parse(await readFile(new URL('./__fixtures__/mistral-chat-docs.json', import.meta.url), 'utf8')) as MistralChatBody;
    assert.deepStrictEqual(convertResponse(body, 'asked'), {
      id: 'cf79f7daaee244b1a0ae5c7b1444424a',
      model: 'mistral-medium-latest',
      created: 1759500534,
      content: [{ type: 'text', text: 'Arrr, the scallywag Claude Monet be the finest French painter to ever splash colors on a canvas, savvy?' }],
      finishReason: 'stop',
      rawFinishReason: 'stop',
      usage: { inputTokens: 24, outputTokens: 27 },
    });
  });

  it('reads thinking chunks, object arguments, cached tokens and model_length', () => {
    const body: MistralChatBody = {
      id: 'abc',
      model: 'magistral-medium-latest',
      created: 1,
      choices: [
        {
          index: 0,
          message: {
            content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'Hmm.' }] }, { type: 'text', text: 'Done' }],
            tool_calls: [{ id: 'D681PevKs', function: { name: 'f', arguments: { a: 1 } } }],
          },
          finish_reason: 'model_length',
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 4 } },
    };
    assert.deepStrictEqual(convertResponse(body, 'asked'), {
      id: 'abc',
      model: 'magistral-medium-latest',
      created: 1,
      content: [{ type: 'reasoning', text: 'Hmm.' }, { type: 'text', text: 'Done' }, { type: 'tool-call', id: 'D681PevKs', name: 'f', arguments: '{"a":1}' }],
      finishReason: 'length',
      rawFinishReason: 'model_length',
      usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 4 },
    });
  });
});

describe('mistral stream (fixture replay, golden)', () => {
  it('turns the docs chunk sequence into exact events with usage from the last chunk', async () => {
    assert.deepStrictEqual(await replay('mistral-stream-docs.sse'), [
      { type: 'stream-start', id: '59060ef9339a4112b2c9e57e3ee6199d', model: 'mistral-large-latest', created: 1764258570, warnings: [] },
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: '3' },
      { type: 'text-delta', id: 'text-0', delta: '84' },
      { type: 'text-delta', id: 'text-0', delta: '4' },
      { type: 'text-delta', id: 'text-0', delta: '00' },
      { type: 'text-end', id: 'text-0' },
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'stop', usage: { inputTokens: 19, outputTokens: 7 } },
    ]);
  });

  it('keeps whole tool calls sharing index 0 apart by id', async () => {
    const events = await replay('mistral-stream-tool-call.sse', 5);
    assert.deepStrictEqual(events.slice(1), [
      { type: 'tool-input-start', id: 'D681PevKs', toolName: 'get_weather' },
      { type: 'tool-input-delta', id: 'D681PevKs', delta: '{"city": "Paris"}' },
      { type: 'tool-input-start', id: 'x7Rq2LmZa', toolName: 'get_time' },
      { type: 'tool-input-delta', id: 'x7Rq2LmZa', delta: '{"zone":"Europe/Paris"}' },
      { type: 'tool-input-end', id: 'D681PevKs' },
      { type: 'tool-input-end', id: 'x7Rq2LmZa' },
      { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_calls', usage: { inputTokens: 88, outputTokens: 31 } },
    ]);
  });

  it('turns thinking chunks into reasoning, then text, across split UTF-8', async () => {
    const events = await replay('mistral-stream-reasoning.sse', 3);
    assert.deepStrictEqual(events.slice(1), [
      { type: 'reasoning-start', id: 'reasoning-0' },
      { type: 'reasoning-delta', id: 'reasoning-0', delta: 'The user wants ' },
      { type: 'reasoning-delta', id: 'reasoning-0', delta: 'a number.' },
      { type: 'reasoning-end', id: 'reasoning-0' },
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Forty' },
      { type: 'text-delta', id: 'text-0', delta: '-two é' },
      { type: 'text-end', id: 'text-0' },
      { type: 'finish', finishReason: 'length', rawFinishReason: 'model_length', usage: { inputTokens: 12, outputTokens: 9, cachedInputTokens: 8 } },
    ]);
  });

  it("drops the repeat of the caller's prefill from the streamed text, across chunks, and nothing else", async () => {
    const text = async (prefill: string) =>
      (await replay('mistral-stream-docs.sse', 7, prefill)).flatMap((event) => (event.type === 'text-delta' ? [event.delta] : [])).join('');
    assert.equal(await text('38'), '44' + '00');
    assert.equal(await text('3844'), '00');
    assert.equal(await text('39'), '384400', 'an answer that does not repeat the prefill is kept whole');
    assert.equal(await text('38440099'), '384400', 'text held back is released at the finish');
  });

  it('reports a stream cut before its finish as interrupted', async () => {
    const text = (await readFile(new URL('./__fixtures__/mistral-stream-docs.sse', import.meta.url), 'utf8')).split('\n\n').slice(0, 3).join('\n\n') + '\n\n';
    const last = (await replay(text)).at(-1);
    assert.equal(last?.type === 'error' && last.error.code, 'SB_ERR_STREAM_INTERRUPTED');
  });

  it('turns an in-band error body and finish_reason "error" into error events', async () => {
    const first = 'data: {"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n';
    const inBand = await replay(`${first}data: {"object":"error","message":"Service unavailable","type":"internal_server_error","param":null,"code":"1000"}\n\n`);
    assert.deepStrictEqual(inBand.map((event) => event.type), ['stream-start', 'text-start', 'text-delta', 'error']);
    const error = inBand.at(-1);
    assert.match(error?.type === 'error' ? error.error.message : '', /Service unavailable/);
    const failed = await replay(`${first}data: {"id":"a","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"error"}]}\n\ndata: [DONE]\n\n`);
    assert.equal(failed.at(-1)?.type, 'error');
    // The last chunk's usage (as on a finish: examples/chat-completions-stream-docs.ndjson) is what the failed generation used.
    const billed = await replay(
      `${first}data: {"id":"a","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"error"}],"usage":{"prompt_tokens":19,"completion_tokens":7,"total_tokens":26}}\n\ndata: [DONE]\n\n`,
    );
    const last = billed.at(-1);
    assert.ok(last?.type === 'error');
    assert.deepStrictEqual([last.error.code, last.usage], ['SB_ERR_UPSTREAM_ERROR', { inputTokens: 19, outputTokens: 7 }]);
  });
});

describe('mistral errors', () => {
  it('reads the 422 HTTPValidationError of the spec and the wrapped form the API sends as one readable line', () => {
    const detail = [{ type: 'extra_forbidden', loc: ['body', 'messages', 0, 'user', 'name'], msg: 'Extra inputs are not permitted', input: 'ann' }];
    assert.deepStrictEqual(readMistralError({ detail }), { message: 'body.messages.0.user.name: Extra inputs are not permitted' });
    assert.deepStrictEqual(readMistralError({ object: 'error', message: { detail }, type: 'invalid_request_error', param: null, code: null }), {
      message: 'body.messages.0.user.name: Extra inputs are not permitted',
      code: 'invalid_request_error',
    });
    const error = errorFromStatus(422, testSource('mis'), readMistralError({ detail }));
    assert.equal(error.code, 'SB_ERR_UPSTREAM_BAD_REQUEST');
    assert.equal(error.status, 400);
  });

  it('reads flat error bodies with their code', () => {
    assert.deepStrictEqual(readMistralError({ object: 'error', message: 'Tool call id was call_x but must be a-z, A-Z, 0-9, with a length of 9.', type: 'invalid_function_call', param: null, code: '3280' }), {
      message: 'Tool call id was call_x but must be a-z, A-Z, 0-9, with a length of 9.',
      code: '3280',
    });
    assert.deepStrictEqual(readMistralError({ message: 'Unauthorized', request_id: 'r' }), { message: 'Unauthorized' });
  });
});

describe('mistral adapter: 200 answers of the wrong shape', () => {
  const adapter = (body: unknown) =>
    createMistralAdapter(
      { id: 'mis', type: 'mistral', baseUrl: 'https://api.mistral.example/v1', apiKey: 'mistral-key-0123456789', headers: {}, timeoutMs: 1000, options: {} },
      { http: fakeHttp({ body: JSON.stringify(body) }).http, images: { fetch: () => Promise.reject(new Error('not used')) } },
    );
  const call = { model: 'mistral-small-latest', signal: new AbortController().signal, timeoutMs: 1000, requestId: 'req' };
  const invalid = (pattern: RegExp) => invalidAnswerError(pattern, { provider: 'mis' });

  it('refuses a chat answer without choices, or a choice without a message', async () => {
    await assert.rejects(adapter({ foo: 'bar' }).chat(base, call), invalid(/^Provider "mis" answered with a body that is not a chat completion: "choices" is not a non-empty array$/));
    await assert.rejects(adapter({ id: 'x', choices: [] }).chat(base, call), invalid(/"choices" is not a non-empty array/));
    await assert.rejects(adapter({ id: 'x', choices: [{ index: 0, finish_reason: 'stop' }] }).chat(base, call), invalid(/choices\[0\] has no "message" object/));
  });

  it('refuses a finish_reason "error" as a retryable error carrying the usage Mistral billed for it', async () => {
    const body = { id: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'partial' }, finish_reason: 'error' }], usage: { prompt_tokens: 19, completion_tokens: 7, total_tokens: 26 } };
    await assert.rejects(adapter(body).chat(base, call), (error: unknown) => {
      assert.ok(GatewayError.isInstance(error));
      assert.deepStrictEqual([error.code, error.retryable, error.usage], ['SB_ERR_UPSTREAM_ERROR', true, { inputTokens: 19, outputTokens: 7 }]);
      return true;
    });
  });

  it('accepts a tool-call answer with null content', async () => {
    const toolCall = { id: 'abcdefghi', function: { name: 'lookup', arguments: { q: 'x' } } };
    const result = await adapter({ id: 'x', choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [toolCall] }, finish_reason: 'tool_calls' }] }).chat(base, call);
    assert.deepStrictEqual(result.content, [{ type: 'tool-call', id: 'abcdefghi', name: 'lookup', arguments: '{"q":"x"}' }]);
  });

  it('refuses an embeddings answer without one float vector per input', async () => {
    const request = { model: 'mistral-embed', input: ['a', 'b'], metadata: {} };
    await assert.rejects(adapter({ foo: 'bar' }).embed!(request, call), invalid(/not an embeddings list: "data" is not an array/));
    await assert.rejects(adapter({ data: [{ index: 0, embedding: [0.1] }] }).embed!(request, call), invalid(/"data" holds 1 vectors for 2 inputs/));
    await assert.rejects(adapter({ data: [{ index: 0, embedding: [0.1] }, { index: 1, embedding: 'AAAAPw==' }] }).embed!(request, call), invalid(/data\[1\]\.embedding is not a vector/));
    const answer = await adapter({ data: [{ index: 0, embedding: [0.1] }, { index: 1, embedding: [0.2] }] }).embed!(request, call);
    assert.deepStrictEqual(answer.embeddings, [[0.1], [0.2]]);
  });
});
