import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fakeHttp, type CannedAnswer } from '../../../test/helpers/fake-http.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import type { EmbeddingRequest } from '../../core/embedding.ts';
import type { ProviderCall } from '../../core/provider-adapter.ts';
import type { StreamEvent } from '../../core/stream-event.ts';
import { guardStream } from '../_shared/guard-stream.ts';
import { decodeServerSentEvents } from '../_shared/sse.ts';
import { convertRequest } from './convert-request.ts';
import { convertResponse, convertUsage } from './convert-response.ts';
import { openRouterProvider } from '../openrouter/index.ts';
import { readAll } from '../../../test/helpers/events.ts';
import { createOpenAICompatibleAdapter } from './index.ts';
import { formatEmbeddingResponse } from '../../api/openai/embeddings.ts';
import { chunkTransformer } from './stream.ts';
import { createRedactor } from '../_shared/redact-secrets.ts';
import type { UpstreamSource } from '../_shared/upstream-error.ts';
import { invalidAnswerError } from '../../../test/helpers/invalid-answer.ts';

/** A provider's source with no configured secrets. */
const testSource = (provider: string): UpstreamSource => ({ provider, redact: createRedactor([]) });

/** Replays a recorded SSE body, split into small byte chunks (mid-line, mid-UTF-8), through the adapter's stream. */
async function replay(fixture: string, passthrough = false, chunkSize = 7): Promise<StreamEvent[]> {
  const bytes = await readFile(new URL(`./__fixtures__/${fixture}`, import.meta.url));
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += chunkSize) controller.enqueue(bytes.subarray(offset, offset + chunkSize));
      controller.close();
    },
  });
  const events = guardStream(
    decodeServerSentEvents(body, chunkTransformer({ source: testSource('oai'), requestedModel: 'gpt-4o', passthrough, usageChunkInternal: false })),
    testSource('oai'),
  );
  const collected: StreamEvent[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

const baseRequest: ChatRequest = { model: 'fast', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, includeUsage: false, metadata: {}, hints: {} };

describe('openai-compatible stream (fixture replay)', () => {
  it('turns a recorded text stream into text events, finish and usage', async () => {
    const events = await replay('openai-stream-text.sse');
    assert.equal(events[0]?.type, 'stream-start');
    assert.equal(events[0]?.type === 'stream-start' && events[0].model, 'gpt-4o-2024-08-06');
    const text = events.flatMap((event) => (event.type === 'text-delta' ? [event.delta] : [])).join('');
    assert.ok(text.startsWith("I'm unable to provide"));
    const finish = events.at(-1);
    assert.deepEqual(finish?.type === 'finish' && { reason: finish.finishReason, usage: finish.usage }, {
      reason: 'stop',
      usage: { inputTokens: 14, outputTokens: 30 },
    });
    assert.deepEqual(
      events.map((event) => event.type).filter((type) => type.startsWith('text-') && type !== 'text-delta'),
      ['text-start', 'text-end'],
    );
  });

  it('assembles a streamed tool call with its id and argument fragments', async () => {
    const events = await replay('openai-stream-tool-call.sse', false, 3);
    const start = events.find((event) => event.type === 'tool-input-start');
    assert.deepEqual(start, { type: 'tool-input-start', id: 'call_4XzlGBLtUe9dy3GVNV4jhq7h', toolName: 'get_weather' });
    const args = events.flatMap((event) => (event.type === 'tool-input-delta' ? [event.delta] : [])).join('');
    assert.deepEqual(JSON.parse(args), { city: 'New York City' });
    const finish = events.at(-1);
    assert.equal(finish?.type === 'finish' && finish.finishReason, 'tool-calls');
    assert.equal(events.at(-2)?.type, 'tool-input-end');
  });

  it('keeps parallel tool calls apart by index', async () => {
    const events = await replay('openai-stream-parallel-tool-calls.sse');
    const starts = events.filter((event) => event.type === 'tool-input-start');
    assert.equal(starts.length, 2);
    for (const start of starts) {
      const args = events.flatMap((event) => (event.type === 'tool-input-delta' && start.type === 'tool-input-start' && event.id === start.id ? [event.delta] : [])).join('');
      assert.doesNotThrow(() => JSON.parse(args));
    }
  });

  it('maps refusals and length finishes', async () => {
    const refusal = await replay('openai-stream-refusal.sse');
    assert.ok(refusal.some((event) => event.type === 'refusal-delta'));
    const length = await replay('openai-stream-finish-length.sse');
    const finish = length.at(-1);
    assert.equal(finish?.type === 'finish' && finish.finishReason, 'length');
  });

  it('passes every chunk through verbatim, all choices included, when the caller speaks OpenAI', async () => {
    const events = await replay('openai-stream-n3-choices.sse', true);
    const raw = (await readFile(new URL('./__fixtures__/openai-stream-n3-choices.sse', import.meta.url), 'utf8'))
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
      .map((line) => line.slice(6));
    assert.deepEqual(events.flatMap((event) => (event.type === 'native-chunk' ? [event.data] : [])), raw);
  });

  it('reports a stream that stops before its finish as an interruption, not a normal end', async () => {
    const bytes = (await readFile(new URL('./__fixtures__/openai-stream-text.sse', import.meta.url), 'utf8')).split('\n\n').slice(0, 4).join('\n\n') + '\n\n';
    const body = new ReadableStream<Uint8Array>({ start: (controller) => (controller.enqueue(new TextEncoder().encode(bytes)), controller.close()) });
    const events: StreamEvent[] = [];
    for await (const event of guardStream(decodeServerSentEvents(body, chunkTransformer({ source: testSource('oai'), requestedModel: 'x', passthrough: false, usageChunkInternal: false })), testSource('oai'))) events.push(event);
    const last = events.at(-1);
    assert.equal(last?.type, 'error');
    assert.equal(last?.type === 'error' && last.error.code, 'SB_ERR_STREAM_INTERRUPTED');
  });
});

describe('openai-compatible request conversion', () => {
  it('sends parallel_tool_calls only beside tools (OpenAI refuses it alone), and reads a non-empty reasoning when the other field is empty', () => {
    const dialect = { maxTokensField: 'max_completion_tokens' as const, streamUsage: true };
    assert.equal('parallel_tool_calls' in convertRequest({ ...baseRequest, parallelToolCalls: false }, 'gpt-4o', dialect).body, false);
    const tools = [{ name: 'f', parameters: { type: 'object' } }];
    assert.equal(convertRequest({ ...baseRequest, tools, parallelToolCalls: false }, 'gpt-4o', dialect).body.parallel_tool_calls, false);
    const answer = convertResponse(
      { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'ok', reasoning_content: '', reasoning: 'Thought it through.' } }] } as never,
      'm',
    );
    assert.deepStrictEqual(answer.content[0], { type: 'reasoning', text: 'Thought it through.' });
  });

  it("says a tool result's error flag was not sent (OpenAI tool messages have none)", () => {
    const request: ChatRequest = {
      ...baseRequest,
      messages: [
        ...baseRequest.messages,
        { role: 'assistant', content: [{ type: 'tool-call', id: 'toolu_1', name: 'fetch', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'toolu_1', isError: true, content: [{ type: 'text', text: 'ECONNREFUSED' }] },
      ],
    };
    const { body, warnings } = convertRequest(request, 'gpt-4o', { maxTokensField: 'max_completion_tokens', streamUsage: true });
    assert.deepStrictEqual((body as { messages: unknown[] }).messages.at(-1), { role: 'tool', tool_call_id: 'toolu_1', content: 'ECONNREFUSED' });
    assert.deepStrictEqual(
      warnings.map((warning) => warning.setting),
      ['tool_result.is_error'],
    );
  });

  // An outside review: an Anthropic caller's prefill was answered afresh, with nothing on the ledger row.
  it('says a final assistant text turn (a prefill) is not continued; a stream resume and a final tool call are no prefill', () => {
    const dialect = { maxTokensField: 'max_completion_tokens', streamUsage: true } as const;
    const prefill: ChatRequest = { ...baseRequest, messages: [...baseRequest.messages, { role: 'assistant', content: [{ type: 'text', text: '{"answer": ' }] }] };
    const { body, warnings } = convertRequest(prefill, 'gpt-4o', dialect);
    assert.deepStrictEqual((body as { messages: unknown[] }).messages.at(-1), { role: 'assistant', content: '{"answer": ' });
    assert.deepStrictEqual(warnings.map((warning) => [warning.type, warning.setting]), [['other', 'messages[1]']]);
    const call: ChatRequest = { ...baseRequest, messages: [...baseRequest.messages, { role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }, { type: 'tool-call', id: 'c1', name: 'f', arguments: '{}' }] }] };
    assert.deepStrictEqual(convertRequest(call, 'gpt-4o', dialect).warnings, []);
    assert.deepStrictEqual(convertRequest({ ...baseRequest, assistantPrefix: 'So far' }, 'gpt-4o', dialect).warnings, []);
  });

  it('sends the caller\'s OpenAI body as it came, with only the model replaced', () => {
    const native = { model: 'fast', messages: [{ role: 'user', content: 'hi', name: 'ann' }], logit_bias: { '50256': -100 } };
    const { body } = convertRequest({ ...baseRequest, native: { format: 'openai-chat', body: native } }, 'gpt-4o-mini', { maxTokensField: 'max_tokens', streamUsage: true });
    assert.deepEqual(body, { ...native, model: 'gpt-4o-mini' });
  });

  it('leaves an earlier answer\'s reasoning_content out for providers that refuse it, with a warning; relays it to others', () => {
    const native = {
      model: 'fast',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'Hello.', reasoning_content: 'The user greets me.' },
        { role: 'user', content: 'and?' },
      ],
    };
    const request = { ...baseRequest, native: { format: 'openai-chat' as const, body: native } };
    const dropped = convertRequest(request, 'gpt-4o', { maxTokensField: 'max_completion_tokens', streamUsage: true, reasoningInHistory: 'drop' });
    assert.deepEqual(dropped.body.messages, [native.messages[0], { role: 'assistant', content: 'Hello.' }, native.messages[2]]);
    assert.deepEqual(dropped.warnings.map((warning) => warning.setting), ['reasoning_content']);
    assert.equal(native.messages[1]!.reasoning_content, 'The user greets me.', "the caller's body is not changed in place");
    const relayed = convertRequest(request, 'qwen3', { maxTokensField: 'max_tokens', streamUsage: true });
    assert.deepEqual(relayed.body, { ...native, model: 'qwen3' });
    assert.deepEqual(relayed.warnings, []);
  });

  it('builds the body from the typed request for other ingress formats, with the provider\'s max-tokens field', () => {
    const request: ChatRequest = {
      ...baseRequest,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image', url: 'data:image/png;base64,AAAA' }] },
        { role: 'assistant', content: [{ type: 'tool-call', id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' }] },
        { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: 'found' }] },
      ],
      tools: [{ name: 'lookup', description: 'Look up', parameters: { type: 'object' } }],
      toolChoice: { type: 'tool', name: 'lookup' },
      maxOutputTokens: 100,
      stop: ['END'],
      topK: 5,
    };
    const { body, warnings } = convertRequest(request, 'gpt-4o', { maxTokensField: 'max_completion_tokens', streamUsage: true });
    assert.deepEqual(body, {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'found' },
      ],
      tools: [{ type: 'function', function: { name: 'lookup', description: 'Look up', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      max_completion_tokens: 100,
      stop: ['END'],
    });
    assert.deepEqual(warnings.map((warning) => warning.setting), ['top_k']);
  });

  it('asks for usage on streams and marks that chunk internal when the caller did not', () => {
    const { body, usageChunkInternal } = convertRequest({ ...baseRequest, stream: true }, 'gpt-4o', { maxTokensField: 'max_tokens', streamUsage: true });
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(usageChunkInternal, true);
  });
});

describe('openai-compatible usage: the cost a provider reports (OpenRouter)', () => {
  // openrouter.ai/docs/use-cases/usage-accounting: `usage.cost` in every answer, in credits (USD).
  const usage = { prompt_tokens: 194, completion_tokens: 2, total_tokens: 196, cost: 0.00095, is_byok: false, cost_details: { upstream_inference_cost: 0.00095 } };

  it('reads usage.cost only for a provider whose answers carry it, and the upstream bill only on a BYOK call', () => {
    assert.equal(convertUsage(usage, true).costUsd, 0.00095);
    assert.equal(convertUsage(usage).costUsd, undefined, 'another OpenAI-style server: a `cost` field of its own is not read');
    const byok = { ...usage, is_byok: true, cost_details: { upstream_inference_cost: 0.019 } };
    assert.equal(convertUsage(byok, true).costUsd, 0.00095 + 0.019);
  });

  it('prices at the model\'s prices when the cost is missing or not a finite number from 0', () => {
    for (const cost of [undefined, null, -1, '0.1', Number.NaN]) {
      assert.equal(convertUsage({ ...usage, cost: cost as number | null | undefined }, true).costUsd, undefined, String(cost));
    }
    assert.equal(convertUsage({ ...usage, cost: 0 }, true).costUsd, 0, 'a free model costs 0');
  });

  it("carries it from an OpenRouter adapter's answer and stream, not from a plain OpenAI one's", async () => {
    const settings = { id: 'or', type: 'openrouter', baseUrl: 'https://openrouter.example/api/v1', apiKey: 'sk-or-test', headers: {}, timeoutMs: 1000, options: {} } as const;
    const call: ProviderCall = { model: 'openai/gpt-4o', signal: new AbortController().signal, timeoutMs: 1000, requestId: 'req' };
    const body = JSON.stringify({ id: 'gen-1', object: 'chat.completion', created: 1, model: 'openai/gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }], usage });
    const dependencies = (answer: CannedAnswer) => ({ http: fakeHttp(answer).http, images: { fetch: () => Promise.reject(new Error('not used')) } });
    const openRouter = openRouterProvider.create(settings, dependencies({ body }));
    assert.equal((await openRouter.chat(baseRequest, call)).usage.costUsd, 0.00095);
    const plain = createOpenAICompatibleAdapter({ ...settings, type: 'openai' }, dependencies({ body }));
    assert.equal((await plain.chat(baseRequest, call)).usage.costUsd, undefined);

    const chunk = (fields: Record<string, unknown>) => `data: ${JSON.stringify({ id: 'gen-1', object: 'chat.completion.chunk', created: 1, model: 'openai/gpt-4o', ...fields })}\n\n`;
    const streamed = [
      chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] }),
      chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
      chunk({ choices: [], usage }),
      'data: [DONE]\n\n',
    ].join('');
    const events = await readAll(await openRouterProvider.create(settings, dependencies({ body: streamed, headers: { 'content-type': 'text/event-stream' } })).streamChat({ ...baseRequest, stream: true }, call));
    const finish = events.at(-1);
    assert.equal(finish?.type === 'finish' && finish.usage?.costUsd, 0.00095);
  });

  it("carries it from an OpenRouter adapter's embeddings answer, with no output tokens, not from a plain OpenAI one's", async () => {
    const settings = { id: 'or', type: 'openrouter', baseUrl: 'https://openrouter.example/api/v1', apiKey: 'sk-or-test', headers: {}, timeoutMs: 1000, options: {} } as const;
    const call: ProviderCall = { model: 'openai/text-embedding-3-small', signal: new AbortController().signal, timeoutMs: 1000, requestId: 'req' };
    const body = JSON.stringify({ object: 'list', model: 'openai/text-embedding-3-small', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }], usage: { prompt_tokens: 8, total_tokens: 8, cost: 0.00000016, completion_tokens: 3 } });
    const dependencies = { http: fakeHttp({ body }).http, images: { fetch: () => Promise.reject(new Error('not used')) } };
    const request: EmbeddingRequest = { model: 'embed', input: ['a'], metadata: {} };
    const routed = await openRouterProvider.create(settings, dependencies).embed!(request, call);
    assert.deepEqual([routed.usage.inputTokens, routed.usage.outputTokens, routed.usage.costUsd], [8, 0, 0.00000016]);
    const plain = await createOpenAICompatibleAdapter({ ...settings, type: 'openai' }, { ...dependencies, http: fakeHttp({ body }).http }).embed!(request, call);
    assert.equal(plain.usage.costUsd, undefined);
  });
});

describe('openai-compatible adapter: 200 answers that are not completions', () => {
  const secret = 'sk-upstream-secret-0123456789';
  const adapter = (answer: CannedAnswer) =>
    createOpenAICompatibleAdapter(
      { id: 'oai', type: 'openai', baseUrl: 'https://api.example/v1', apiKey: secret, headers: {}, timeoutMs: 1000, options: {} },
      { http: fakeHttp(answer).http, images: { fetch: () => Promise.reject(new Error('not used')) } },
    );
  const call: ProviderCall = { model: 'gpt-4o-mini', signal: new AbortController().signal, timeoutMs: 1000, requestId: 'req' };
  const native: ChatRequest = { ...baseRequest, native: { format: 'openai-chat', body: { model: 'fast', messages: [{ role: 'user', content: 'hi' }] } } };
  const completion = (choices: unknown[]) => JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices });
  const invalid = (pattern: RegExp) => invalidAnswerError(pattern, { provider: 'oai', secret: 'secret' });

  it('refuses a 200 without choices, or whose choices hold no message, passed through or not', async () => {
    const cases: Array<[string, RegExp]> = [
      [JSON.stringify({ foo: 'bar', echoed: secret }), /^Provider "oai" answered with a body that is not a chat completion: "choices" is not a non-empty array$/],
      [JSON.stringify({ choices: [] }), /"choices" is not a non-empty array/],
      [JSON.stringify({ choices: 'none' }), /"choices" is not a non-empty array/],
      [completion([{ index: 0, finish_reason: 'stop' }]), /choices\[0\] has no "message" object/],
      [completion([{ index: 0, message: { role: 'assistant', content: 'a' }, finish_reason: 'stop' }, { index: 1, message: null, finish_reason: 'stop' }]), /choices\[1\] has no "message" object/],
      [completion([null]), /choices\[0\] has no "message" object/],
      ['null', /it is not a JSON object/],
      ['[]', /it is not a JSON object/],
    ];
    for (const [body, pattern] of cases) {
      await assert.rejects(adapter({ body }).chat(baseRequest, call), invalid(pattern), body);
      await assert.rejects(adapter({ body }).chat(native, call), invalid(pattern), `${body} (passthrough)`);
    }
  });

  it('still reads an error object in a 200 as the error it names', async () => {
    await assert.rejects(
      adapter({ body: JSON.stringify({ error: { message: 'model overloaded' } }) }).chat(baseRequest, call),
      (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_UPSTREAM_ERROR' && /model overloaded/.test(error.message),
    );
  });

  it('accepts answers without text: tool calls with null content, a content filter, reasoning only, an empty string, a refusal', async () => {
    const toolCall = { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } };
    const answers: Array<[unknown[], string]> = [
      [[{ index: 0, message: { role: 'assistant', content: null, tool_calls: [toolCall] }, finish_reason: 'tool_calls' }], 'tool-calls'],
      [[{ index: 0, message: { role: 'assistant', content: null }, finish_reason: 'content_filter' }], 'content-filter'],
      [[{ index: 0, finish_reason: 'content_filter', content_filter_results: { hate: { filtered: true } } }], 'content-filter'],
      [[{ index: 0, message: { role: 'assistant', content: null, reasoning_content: 'Thinking.' }, finish_reason: 'length' }], 'length'],
      [[{ index: 0, message: { role: 'assistant', content: '' }, finish_reason: 'stop' }], 'stop'],
      [[{ index: 0, message: { role: 'assistant', content: null, refusal: 'I cannot help with that.' }, finish_reason: 'stop' }], 'stop'],
    ];
    for (const [choices, finishReason] of answers) {
      const body = completion(choices);
      const result = await adapter({ body }).chat(native, call);
      assert.equal(result.finishReason, finishReason, body);
      assert.equal(result.native?.body, body);
    }
  });

  describe('embeddings', () => {
    const request: EmbeddingRequest = { model: 'embed', input: ['a', 'b'], metadata: {} };
    const list = (data: unknown[]) => JSON.stringify({ object: 'list', data, model: 'text-embedding-3-small', usage: { prompt_tokens: 2, total_tokens: 2 } });

    it('refuses a 200 without one vector per input', async () => {
      const cases: Array<[string, RegExp]> = [
        [JSON.stringify({ foo: 'bar' }), /not an embeddings list: "data" is not an array/],
        [list([]), /"data" is not a non-empty list of vectors/],
        [list([{ index: 0, embedding: [0.1] }]), /"data" holds 1 vectors for 2 inputs/],
        [list([{ index: 0, embedding: [0.1] }, { index: 1 }]), /data\[1\]\.embedding is not a vector/],
        [list([{ index: 0, embedding: [0.1] }, { index: 1, embedding: [] }]), /data\[1\]\.embedding is not a vector/],
      ];
      for (const [body, pattern] of cases) await assert.rejects(adapter({ body }).embed!(request, call), invalid(pattern), body);
    });

    it('encodes float vectors as base64 when the caller asked for base64 and the server ignored it (the openai SDK would misread them)', async () => {
      const answer = await adapter({ body: list([{ index: 1, embedding: [1] }, { index: 0, embedding: [0.5] }]) }).embed!({ ...request, encodingFormat: 'base64' }, call);
      assert.deepEqual(answer.embeddings, ['AAAAPw==', 'AACAPw==']);
      const body = JSON.parse(formatEmbeddingResponse(answer)) as { data: Array<{ index: number; embedding: unknown }>; model: string; usage: unknown };
      assert.deepEqual(body.data.map((item) => [item.index, item.embedding]), [[0, 'AAAAPw=='], [1, 'AACAPw==']]);
      assert.equal(body.model, 'text-embedding-3-small');
      assert.deepEqual(body.usage, { prompt_tokens: 2, total_tokens: 2 });
    });

    it('marks usage estimated when the server reports none, so the ledger counts the inputs instead of billing nothing', async () => {
      const body = JSON.stringify({ object: 'list', data: [{ index: 0, embedding: [0.1] }, { index: 1, embedding: [0.2] }], model: 'nomic-embed-text' });
      const answer = await adapter({ body }).embed!(request, call);
      assert.deepEqual(answer.usage, { inputTokens: 0, outputTokens: 0, estimated: true });
    });

    it('accepts float and base64 vectors, and any number of them for token-id inputs', async () => {
      const floats = await adapter({ body: list([{ index: 1, embedding: [0.2] }, { index: 0, embedding: [0.1] }]) }).embed!(request, call);
      assert.deepEqual(floats.embeddings, [[0.1], [0.2]]);
      const base64 = await adapter({ body: list([{ index: 0, embedding: 'AAAAPw==' }, { index: 1, embedding: 'AACAPw==' }]) }).embed!({ ...request, encodingFormat: 'base64' }, call);
      assert.deepEqual(base64.embeddings, ['AAAAPw==', 'AACAPw==']);
      const tokens = await adapter({ body: list([{ index: 0, embedding: [0.1] }]) }).embed!({ ...request, input: [], native: { format: 'openai-embeddings', body: { model: 'embed', input: [[1, 2]] } } }, call);
      assert.equal(tokens.embeddings.length, 1);
    });
  });
});
