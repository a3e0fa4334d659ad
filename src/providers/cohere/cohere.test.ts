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
import { convertResponse, mapFinishReason } from './convert-response.ts';
import { readCohereError } from './errors.ts';
import { createCohereAdapter } from './index.ts';
import { cohereEventTransformer } from './stream.ts';
import type { CohereChatBody } from './wire-types.ts';
import { createRedactor } from '../_shared/redact-secrets.ts';
import type { UpstreamSource } from '../_shared/upstream-error.ts';
import { invalidAnswerError } from '../../../test/helpers/invalid-answer.ts';

/** A provider's source with no configured secrets. */
const testSource = (provider: string): UpstreamSource => ({ provider, redact: createRedactor([]) });

const base: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, includeUsage: false, metadata: {}, hints: {} };

/** Replays an SSE body split into `chunkSize`-byte pieces (mid-line, mid-UTF-8) through the adapter's stream. */
async function replay(source: string, chunkSize = 7): Promise<StreamEvent[]> {
  const bytes = source.endsWith('.sse') ? await readFile(new URL(`./__fixtures__/${source}`, import.meta.url)) : new TextEncoder().encode(source);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += chunkSize) controller.enqueue(bytes.subarray(offset, offset + chunkSize));
      controller.close();
    },
  });
  const events: StreamEvent[] = [];
  for await (const event of guardStream(decodeServerSentEvents(body, cohereEventTransformer({ source: testSource('co'), requestedModel: 'command-a-03-2025' })), testSource('co'))) {
    events.push(event.type === 'stream-start' ? { ...event, created: 0 } : event);
  }
  return events;
}

async function fixture(name: string): Promise<CohereChatBody> {
  return JSON.parse(await readFile(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8')) as CohereChatBody;
}

describe('cohere request conversion (golden)', () => {
  it('builds the exact Chat v2 body, mapping OpenAI names to Cohere names', () => {
    const request: ChatRequest = {
      ...base,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }], developer: true },
        { role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image', url: 'data:image/png;base64,AAAA', detail: 'high' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'I will check.' }, { type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
        { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '18C' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'It is 18C.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Thanks' }, { type: 'text', text: 'And tomorrow?' }] },
      ],
      tools: [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object' }, strict: true }],
      toolChoice: 'required',
      responseFormat: { type: 'text' },
      maxOutputTokens: 100,
      stop: ['END'],
      temperature: 0.3,
      topP: 0.9,
      topK: 40,
      seed: 7,
      frequencyPenalty: 0.2,
      presencePenalty: 0.1,
      thinkingBudgetTokens: 500,
    };
    const { body, warnings } = convertRequest({ ...request, stream: true }, 'command-a-03-2025');
    assert.deepStrictEqual(body, {
      model: 'command-a-03-2025',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'high' } }] },
        { role: 'assistant', tool_plan: 'I will check.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '18C' },
        { role: 'assistant', content: 'It is 18C.' },
        { role: 'user', content: [{ type: 'text', text: 'Thanks' }, { type: 'text', text: 'And tomorrow?' }] },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' } } }],
      strict_tools: true,
      tool_choice: 'REQUIRED',
      response_format: { type: 'text' },
      max_tokens: 100,
      stop_sequences: ['END'],
      temperature: 0.3,
      p: 0.9,
      k: 40,
      seed: 7,
      frequency_penalty: 0.2,
      presence_penalty: 0.1,
      thinking: { type: 'enabled', token_budget: 500 },
      stream: true,
    });
    assert.deepStrictEqual(warnings, []);
  });

  it('offers only the named tool with REQUIRED, and maps json_schema and none', () => {
    const tools = [{ name: 'a', parameters: { type: 'object' } }, { name: 'b', parameters: { type: 'object' } }];
    const named = convertRequest({ ...base, tools, toolChoice: { type: 'tool', name: 'b' } }, 'c');
    assert.deepStrictEqual([named.body.tools, named.body.tool_choice], [[{ type: 'function', function: { name: 'b', parameters: { type: 'object' } } }], 'REQUIRED']);
    assert.deepStrictEqual(named.warnings.map((warning) => warning.setting), ['tool_choice']);
    assert.equal(convertRequest({ ...base, tools, toolChoice: 'none' }, 'c').body.tool_choice, 'NONE');
    assert.equal('tool_choice' in convertRequest({ ...base, tools, toolChoice: 'auto' }, 'c').body, false);
    const json = convertRequest({ ...base, responseFormat: { type: 'json_schema', name: 'out', description: 'An answer', schema: { type: 'object' } } }, 'c');
    assert.deepStrictEqual(json.body.response_format, { type: 'json_object', json_schema: { type: 'object' } });
    assert.deepStrictEqual(json.warnings.map((warning) => warning.setting), ['response_format.description']);
  });

  it("sends a top_p outside Cohere's 0.01-0.99 (OpenAI's default 1, or 0) as the nearest value it takes, with a warning", () => {
    for (const [topP, p] of [[1, 0.99], [0, 0.01], [0.5, 0.5]] as const) {
      const { body, warnings } = convertRequest({ ...base, topP }, 'command-a');
      assert.equal(body.p, p);
      assert.equal(warnings.some((warning) => warning.setting === 'top_p'), topP !== p);
    }
  });

  it('drops what Cohere cannot take with one warning each, never silently', () => {
    const request: ChatRequest = {
      ...base,
      messages: [
        { role: 'user', name: 'ann', content: [{ type: 'text', text: 'hi' }] },
        { role: 'assistant', content: [{ type: 'reasoning', text: 'thinking' }, { type: 'text', text: 'hello' }] },
        { role: 'user', content: [{ type: 'text', text: 'use a tool' }] },
        { role: 'assistant', content: [{ type: 'tool-call', id: 'x', name: 'a', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'x', isError: true, content: [{ type: 'text', text: 'boom' }, { type: 'image', url: 'data:image/png;base64,AAAA' }] },
      ],
      tools: [{ name: 'a', parameters: {}, strict: true }, { name: 'b', parameters: {} }],
      parallelToolCalls: false,
      logprobs: true,
      user: 'u1',
      reasoningEffort: 'low',
      native: { format: 'openai-chat', body: { model: 'x', messages: [], logit_bias: { 1: 1 }, safety_mode: 'STRICT' } },
    };
    const { body, warnings } = convertRequest(request, 'c');
    assert.equal(body.safety_mode, 'STRICT', 'a same-meaning Cohere field is relayed');
    assert.equal('logit_bias' in body, false);
    assert.deepStrictEqual(warnings.map((warning) => warning.setting), [
      'messages.name', 'reasoning', 'tool_result.image', 'tool_result.is_error', 'tools.strict', 'parallel_tool_calls', 'reasoning_effort', 'logprobs', 'user', 'logit_bias',
    ]);
  });

  it('refuses n > 1, file parts, and JSON mode with tools (Cohere’s own 400, before the call, so a route moves on) with a 400', () => {
    const isBadRequest = (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST';
    assert.throws(() => convertRequest({ ...base, n: 3 }, 'c'), isBadRequest);
    const tools = [{ name: 'a', parameters: { type: 'object' } }];
    assert.throws(
      () => convertRequest({ ...base, tools, responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' } } }, 'c'),
      (error: unknown) => isBadRequest(error) && (error as GatewayError).param === 'response_format',
    );
    assert.throws(() => convertRequest({ ...base, tools, responseFormat: { type: 'json_object' } }, 'c'), isBadRequest);
    assert.deepStrictEqual(convertRequest({ ...base, tools, responseFormat: { type: 'text' } }, 'c').body.response_format, { type: 'text' });
    assert.throws(() => convertRequest({ ...base, messages: [{ role: 'user', content: [{ type: 'file', mediaType: 'application/pdf', data: 'JVBE' }] }] }, 'c'), isBadRequest);
  });
});

describe('cohere response conversion (golden)', () => {
  it('turns a tool-call response into reasoning (the tool plan) and tool calls', async () => {
    assert.deepStrictEqual({ ...convertResponse(await fixture('cohere-chat-tool-call.json'), 'command-a-03-2025'), created: 0 }, {
      id: 'f201af17-e24a-4396-8f6a-98e8bf9c3432',
      model: 'command-a-03-2025',
      created: 0,
      content: [
        { type: 'reasoning', text: 'I will look up the weather in Paris.' },
        { type: 'tool-call', id: 'get_weather_dqgshstja6p9', name: 'get_weather', arguments: '{"city":"Paris"}' },
      ],
      finishReason: 'tool-calls',
      rawFinishReason: 'TOOL_CALL',
      usage: { inputTokens: 1549, outputTokens: 103, cachedInputTokens: 992, billed: { inputTokens: 119, outputTokens: 52 } },
    });
  });

  it('reads thinking and text content, usage from tokens first', async () => {
    const result = convertResponse(await fixture('cohere-chat-text.json'), 'command-a-reasoning');
    assert.deepStrictEqual(result.content, [
      { type: 'reasoning', text: 'Short answer.' },
      { type: 'text', text: 'Paris is the capital of France.' },
    ]);
    assert.deepStrictEqual(result.usage, { inputTokens: 507, outputTokens: 10, billed: { inputTokens: 12, outputTokens: 7 } });
  });

  it('names the stop sequence of a STOP_SEQUENCE finish when the caller gave one, non-streamed and streamed', async () => {
    const body: CohereChatBody = { id: 'x', finish_reason: 'STOP_SEQUENCE', message: { role: 'assistant', content: [{ type: 'text', text: 'Hi' }] } };
    assert.equal(convertResponse(body, 'c', ['END']).stopSequence, 'END');
    assert.equal('stopSequence' in convertResponse(body, 'c', ['END', 'STOP']), false, 'Cohere does not say which of several matched');
    assert.equal('stopSequence' in convertResponse({ ...body, finish_reason: 'COMPLETE' }, 'c', ['END']), false);
    const sse = 'event: message-start\ndata: {"id":"x","type":"message-start"}\n\nevent: message-end\ndata: {"type":"message-end","delta":{"finish_reason":"STOP_SEQUENCE"}}\n\n';
    const events: StreamEvent[] = [];
    const bytes = new ReadableStream<Uint8Array>({ start: (controller) => (controller.enqueue(new TextEncoder().encode(sse)), controller.close()) });
    const source = testSource('co');
    for await (const event of guardStream(decodeServerSentEvents(bytes, cohereEventTransformer({ source, requestedModel: 'c', stops: ['END'] })), source)) events.push(event);
    assert.deepStrictEqual(events.at(-1), { type: 'finish', finishReason: 'stop', rawFinishReason: 'STOP_SEQUENCE', stopSequence: 'END' });
  });

  it('maps every finish reason', () => {
    assert.deepStrictEqual(
      ['COMPLETE', 'STOP_SEQUENCE', 'MAX_TOKENS', 'TOOL_CALL', 'ERROR', 'TIMEOUT', 'NEW'].map(mapFinishReason),
      ['stop', 'stop', 'length', 'tool-calls', 'error', 'error', 'other'],
    );
  });
});

describe('cohere stream (fixture replay, golden)', () => {
  it('turns a text stream into exact events with usage at message-end', async () => {
    assert.deepStrictEqual(await replay('cohere-stream-text.sse', 5), [
      { type: 'stream-start', id: '5f8e2a1c-3b4d-4e6f-8a9b-0c1d2e3f4a5b', model: 'command-a-03-2025', created: 0, warnings: [] },
      { type: 'text-start', id: 'text-0' },
      ...['The', ' capital', ' of', ' France', ' is', ' Paris', ' — naturellement', '.'].map((delta) => ({ type: 'text-delta' as const, id: 'text-0', delta })),
      { type: 'text-end', id: 'text-0' },
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'COMPLETE', usage: { inputTokens: 507, outputTokens: 10, cachedInputTokens: 448, billed: { inputTokens: 12, outputTokens: 9 } } },
    ]);
  });

  it('turns the tool plan into reasoning and parallel tool calls into tool-input blocks', async () => {
    const events = await replay('cohere-stream-tool-call.sse');
    const plan = events.flatMap((event) => (event.type === 'reasoning-delta' ? [event.delta] : [])).join('');
    assert.equal(plan, 'I will check the weather and the time.');
    assert.deepStrictEqual(
      events.filter((event) => event.type !== 'reasoning-delta'),
      [
        { type: 'stream-start', id: '9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', model: 'command-a-03-2025', created: 0, warnings: [] },
        { type: 'reasoning-start', id: 'tool-plan' },
        { type: 'reasoning-end', id: 'tool-plan' },
        { type: 'tool-input-start', id: 'get_weather_q8m3x0v2k9aa', toolName: 'get_weather' },
        ...['{"', 'city', '":"', 'Paris', '"}'].map((delta) => ({ type: 'tool-input-delta' as const, id: 'get_weather_q8m3x0v2k9aa', delta })),
        { type: 'tool-input-end', id: 'get_weather_q8m3x0v2k9aa' },
        { type: 'tool-input-start', id: 'get_time_p2n7c4z1w5bb', toolName: 'get_time' },
        ...['{"zone":', '"Europe/Paris"}'].map((delta) => ({ type: 'tool-input-delta' as const, id: 'get_time_p2n7c4z1w5bb', delta })),
        { type: 'tool-input-end', id: 'get_time_p2n7c4z1w5bb' },
        { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'TOOL_CALL', usage: { inputTokens: 1549, outputTokens: 95, billed: { inputTokens: 119, outputTokens: 44 } } },
      ],
    );
  });

  it('turns thinking content into reasoning, skips citations, and falls back to billed units', async () => {
    const events = await replay('cohere-stream-thinking.sse', 11);
    assert.deepStrictEqual(
      events.slice(1).map((event) => (event.type.endsWith('-delta') ? `${event.type}:${(event as { delta: string }).delta}` : event.type)),
      ['reasoning-start', 'reasoning-delta:Two', 'reasoning-delta: plus', 'reasoning-delta: two', 'reasoning-delta:.', 'reasoning-end',
        'text-start', 'text-delta:It', 'text-delta: is', 'text-delta: 4', 'text-delta:.', 'text-end', 'finish'],
    );
    assert.deepStrictEqual(events.at(-1), { type: 'finish', finishReason: 'length', rawFinishReason: 'MAX_TOKENS', usage: { inputTokens: 8, outputTokens: 50, billed: { inputTokens: 8, outputTokens: 50 } } });
  });

  it('ends with an error for message-end ERROR, for an error body, and for a cut stream', async () => {
    const start = 'event: message-start\ndata: {"id":"x","type":"message-start"}\n\nevent: content-delta\ndata: {"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"Hi"}}}}\n\n';
    const failed = await replay(`${start}event: message-end\ndata: {"type":"message-end","delta":{"error":"internal failure","finish_reason":"ERROR"}}\n\ndata: [DONE]\n\n`);
    assert.deepStrictEqual(failed.map((event) => event.type), ['stream-start', 'text-start', 'text-delta', 'error']);
    const error = failed.at(-1);
    assert.match(error?.type === 'error' ? error.error.message : '', /internal failure/);
    assert.equal(error?.type === 'error' && error.usage, undefined);
    // The usage message-end reports with the failure is what the failed generation used.
    const billed = (await replay(`${start}event: message-end\ndata: {"type":"message-end","delta":{"finish_reason":"ERROR","usage":{"billed_units":{"input_tokens":5,"output_tokens":2},"tokens":{"input_tokens":71,"output_tokens":2}}}}\n\n`)).at(-1);
    assert.deepStrictEqual(billed?.type === 'error' && billed.usage, { inputTokens: 71, outputTokens: 2, billed: { inputTokens: 5, outputTokens: 2 } });
    // A `tokens` object without counts is no report: billed_units is read, and with neither the usage is left out.
    const billedOnly = (await replay(`${start}event: message-end\ndata: {"type":"message-end","delta":{"finish_reason":"ERROR","usage":{"billed_units":{"input_tokens":5,"output_tokens":2},"tokens":{}}}}\n\n`)).at(-1);
    assert.deepStrictEqual(billedOnly?.type === 'error' && billedOnly.usage, { inputTokens: 5, outputTokens: 2, billed: { inputTokens: 5, outputTokens: 2 } });
    const noCounts = (await replay(`${start}event: message-end\ndata: {"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"tokens":{}}}}\n\n`)).at(-1);
    assert.ok(noCounts?.type === 'finish' && noCounts.usage === undefined, 'a finish without counts leaves the usage to the ledger');
    const timeout = (await replay(`${start}event: message-end\ndata: {"type":"message-end","delta":{"finish_reason":"TIMEOUT"}}\n\n`)).at(-1);
    assert.equal(timeout?.type === 'error' && timeout.error.code, 'SB_ERR_UPSTREAM_TIMEOUT');
    const body = (await replay(`${start}data: {"message":"rate limited"}\n\n`)).at(-1);
    assert.equal(body?.type, 'error');
    const cut = (await replay(start)).at(-1);
    assert.equal(cut?.type === 'error' && cut.error.code, 'SB_ERR_STREAM_INTERRUPTED');
  });
});

describe('cohere errors', () => {
  it('keeps Cohere messages; "too many tokens" is a context overflow', () => {
    assert.deepStrictEqual(readCohereError({ id: 'a', message: 'invalid request: p must be between 0.01 and 0.99' }), { message: 'invalid request: p must be between 0.01 and 0.99' });
    const overflow = errorFromStatus(400, testSource('co'), readCohereError({ message: 'too many tokens: total number of tokens in the prompt cannot exceed 4081 - received 4292.' }));
    assert.equal(overflow.code, 'SB_ERR_CONTEXT_LENGTH');
  });
});

describe('cohere adapter: 200 answers of the wrong shape', () => {
  const adapter = (body: unknown) =>
    createCohereAdapter(
      { id: 'co', type: 'cohere', baseUrl: 'https://api.cohere.example', apiKey: 'cohere-key-0123456789', headers: {}, timeoutMs: 1000, options: {} },
      { http: fakeHttp({ body: JSON.stringify(body) }).http, images: { fetch: () => Promise.reject(new Error('not used')) } },
    );
  const call = { model: 'command-a-03-2025', signal: new AbortController().signal, timeoutMs: 1000, requestId: 'req' };
  const invalid = (pattern: RegExp) => invalidAnswerError(pattern, { provider: 'co' });

  it('refuses a chat answer without a message', async () => {
    await assert.rejects(adapter({ foo: 'bar' }).chat(base, call), invalid(/^Provider "co" answered with a body that is not a chat response: "message" is not an object$/));
    await assert.rejects(adapter({ id: 'x', finish_reason: 'COMPLETE', message: 'hello' }).chat(base, call), invalid(/"message" is not an object/));
    await assert.rejects(adapter([]).chat(base, call), invalid(/it is not a JSON object/));
  });

  it('refuses a finish_reason ERROR as a retryable error carrying the usage Cohere billed for it', async () => {
    const body = { id: 'x', finish_reason: 'ERROR', message: { role: 'assistant', content: [] }, usage: { billed_units: { input_tokens: 5, output_tokens: 2 }, tokens: { input_tokens: 71, output_tokens: 2 } } };
    await assert.rejects(adapter(body).chat(base, call), (error: unknown) => {
      assert.ok(GatewayError.isInstance(error));
      assert.deepStrictEqual([error.code, error.retryable, error.usage], ['SB_ERR_UPSTREAM_ERROR', true, { inputTokens: 71, outputTokens: 2, billed: { inputTokens: 5, outputTokens: 2 } }]);
      return true;
    });
  });

  it('accepts a tool-call answer, which has no content', async () => {
    const result = await adapter(await fixture('cohere-chat-tool-call.json')).chat(base, call);
    assert.equal(result.finishReason, 'tool-calls');
  });

  it('refuses token-id inputs before any call (Embed v2 takes texts only)', async () => {
    const { http, sent } = fakeHttp({ body: '{}' });
    const cohere = createCohereAdapter(
      { id: 'co', type: 'cohere', baseUrl: 'https://api.cohere.example', apiKey: 'cohere-key-0123456789', headers: {}, timeoutMs: 1000, options: {} },
      { http, images: { fetch: () => Promise.reject(new Error('not used')) } },
    );
    const tokens = { model: 'embed-v4.0', input: [], inputTokenIds: 2, metadata: {}, native: { format: 'openai-embeddings' as const, body: { model: 'e', input: [[1, 2]] } } };
    await assert.rejects(cohere.embed!(tokens, call), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST' && error.param === 'input');
    assert.equal(sent.length, 0);
  });

  it('refuses an embeddings answer without one float vector per text', async () => {
    const request = { model: 'embed-v4.0', input: ['a', 'b'], metadata: {} };
    await assert.rejects(adapter({ foo: 'bar' }).embed!(request, call), invalid(/not an embeddings response: "embeddings.float" is not a non-empty list of vectors/));
    await assert.rejects(adapter({ embeddings: { float: [[0.1]] } }).embed!(request, call), invalid(/"embeddings.float" holds 1 vectors for 2 inputs/));
    await assert.rejects(adapter({ embeddings: { float: [[0.1], []] } }).embed!(request, call), invalid(/embeddings.float\[1\] is not a vector/));
    const answer = await adapter({ id: 'e', embeddings: { float: [[0.1], [0.2]] }, meta: { billed_units: { input_tokens: 2 } } }).embed!(request, call);
    assert.deepStrictEqual(answer.embeddings, [[0.1], [0.2]]);
  });
});
