import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeHttp, type CannedAnswer } from '../../../test/helpers/fake-http.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import type { ProviderCall, ProviderDefinition, ProviderSettings } from '../../core/provider-adapter.ts';
import type { EventStream, StreamEvent } from '../../core/stream-event.ts';
import { readAll } from '../../../test/helpers/events.ts';
import { azureOpenAIProvider } from '../azure-openai/index.ts';
import { deepSeekProvider } from '../deepseek/index.ts';
import { groqProvider } from '../groq/index.ts';
import { openAIProvider } from '../openai/index.ts';
import { togetherProvider } from '../together/index.ts';
import { openRouterProvider } from '../openrouter/index.ts';
import { readOpenAIError } from './errors.ts';

/**
 * What each OpenAI-style provider type does differently from OpenAI, checked through its own
 * adapter (the definition in its folder) against canned answers.
 */

const images = { fetch: () => Promise.reject(new Error('not used')) };
const call = (model: string): ProviderCall => ({ model, signal: new AbortController().signal, timeoutMs: 1000, requestId: 'req' });
const settings = (type: string, baseUrl = 'https://api.example/v1', options: Record<string, unknown> = {}): ProviderSettings => ({
  id: type,
  type,
  baseUrl,
  apiKey: 'key-0123456789abcdef',
  headers: {},
  timeoutMs: 1000,
  options,
});
const adapterOf = (definition: ProviderDefinition, answer: CannedAnswer, type = 'p', baseUrl?: string, options?: Record<string, unknown>) => {
  const fake = fakeHttp(answer);
  return { adapter: definition.create(settings(type, baseUrl, options), { http: fake.http, images }), sent: fake.sent };
};
const completion = (message: Record<string, unknown>, finishReason: string) =>
  JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finishReason }] });
const sse = (...chunks: unknown[]) => `${chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join('')}data: [DONE]\n\n`;
const chunk = (delta: Record<string, unknown>, finishReason: string | null = null, extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-9',
  object: 'chat.completion.chunk',
  created: 1_700_000_000,
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, delta, finish_reason: finishReason }],
  ...extra,
});
const sentBody = (sent: ReadonlyArray<{ body?: string | Uint8Array }>, index = 0) => {
  const body = sent[index]!.body ?? '';
  return JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as Record<string, unknown>;
};
const collect = (stream: EventStream): Promise<StreamEvent[]> => readAll(stream);

const user = (text: string) => ({ role: 'user' as const, content: [{ type: 'text' as const, text }] });
const base: ChatRequest = { model: 'x', messages: [user('hi')], stream: false, includeUsage: false, metadata: {}, hints: {} };
const native = (body: Record<string, unknown>): ChatRequest => ({ ...base, native: { format: 'openai-chat', body } });
const invalid = (param: string) => (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST' && error.param === param;

describe('finish reasons compatible servers add', () => {
  it("reads Together's eos as a stop, DeepSeek's insufficient_system_resource and OpenRouter's error as errors", async () => {
    const cases: Array<[ProviderDefinition, string, string]> = [
      [togetherProvider, 'eos', 'stop'],
      [deepSeekProvider, 'insufficient_system_resource', 'error'],
      [openRouterProvider, 'error', 'error'],
    ];
    for (const [definition, raw, expected] of cases) {
      const { adapter } = adapterOf(definition, { body: completion({ content: 'cut' }, raw) });
      const result = await adapter.chat(base, call('m'));
      assert.equal(result.finishReason, expected, raw);
      assert.equal(result.rawFinishReason, raw);
      const streamed = adapterOf(definition, { body: sse(chunk({ content: 'cut' }), chunk({}, raw)) });
      const finish = (await collect(await streamed.adapter.streamChat({ ...base, stream: true }, call('m')))).at(-1);
      assert.equal(finish?.type === 'finish' && finish.finishReason, expected, `${raw} (stream)`);
    }
  });
});

describe('azure-openai streams', () => {
  // The prompt-annotation chunk Azure sends first (AbanteAI/archive-old-cli-mentat#429).
  const annotation = { id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] };

  it("takes the answer's id and model from its first real chunk, not from Azure's prompt annotation", async () => {
    for (const passthrough of [false, true]) {
      const { adapter } = adapterOf(azureOpenAIProvider, { body: sse(annotation, chunk({ role: 'assistant', content: 'Hi' }), chunk({}, 'stop')) }, 'azure-openai', 'https://res.openai.azure.com');
      const request: ChatRequest = passthrough ? { ...native({ model: 'x', messages: [{ role: 'user', content: 'hi' }], stream: true }), stream: true } : { ...base, stream: true };
      const events = await collect(await adapter.streamChat(request, call('prod-4o')));
      const start = events[0];
      assert.equal(start?.type, 'stream-start');
      assert.deepEqual(start?.type === 'stream-start' && { id: start.id, model: start.model, created: start.created }, { id: 'chatcmpl-9', model: 'gpt-4o-2024-08-06', created: 1_700_000_000 });
      if (passthrough) {
        // The annotation still reaches an OpenAI caller, verbatim, right after the start.
        assert.equal(events[1]?.type === 'native-chunk' && JSON.parse(events[1].data).prompt_filter_results !== undefined, true);
        assert.equal(events.filter((event) => event.type === 'native-chunk').length, 3);
      }
      assert.equal(events.at(-1)?.type, 'finish');
    }
  });
});

describe('azure-openai v1 API', () => {
  it('sends {base_url}/chat/completions with the deployment as `model` and no dated api-version when base_url is the v1 endpoint', async () => {
    // learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle: base_url
    // https://YOUR-RESOURCE-NAME.openai.azure.com/openai/v1/, model = deployment name.
    const { adapter, sent } = adapterOf(azureOpenAIProvider, { body: completion({ content: 'hi' }, 'stop') }, 'azure-openai', 'https://res.openai.azure.com/openai/v1/');
    await adapter.chat(base, call('gpt-4.1-nano'));
    await adapter.embed!({ model: 'e', input: ['a'], metadata: {} }, call('embed-small')).catch(() => undefined);
    assert.deepEqual(sent.map((request) => request.url), ['https://res.openai.azure.com/openai/v1/chat/completions', 'https://res.openai.azure.com/openai/v1/embeddings']);
    assert.equal(sentBody(sent).model, 'gpt-4.1-nano');
    assert.equal(sent[0]!.headers['api-key'], 'key-0123456789abcdef');
  });
});

describe('groq', () => {
  it('reads the usage Groq streams in x_groq, and reports x_groq.error as the error it is', async () => {
    const usage = { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 };
    const { adapter } = adapterOf(groqProvider, { body: sse(chunk({ content: 'Hi' }), chunk({}, 'stop', { x_groq: { id: 'req_1', usage } })) });
    const finish = (await collect(await adapter.streamChat({ ...base, stream: true }, call('llama-3.3-70b-versatile')))).at(-1);
    assert.deepEqual(finish?.type === 'finish' && finish.usage, { inputTokens: 12, outputTokens: 3 });

    const failed = adapterOf(groqProvider, { body: sse(chunk({ content: 'Hi' }), chunk({}, null, { x_groq: { error: 'over capacity' } })) });
    const last = (await collect(await failed.adapter.streamChat({ ...base, stream: true }, call('llama-3.3-70b-versatile')))).at(-1);
    assert.equal(last?.type === 'error' && last.error.code, 'SB_ERR_UPSTREAM_ERROR');
    assert.match(last?.type === 'error' ? last.error.message : '', /over capacity/);
  });

  it('refuses n > 1, logprobs, top_logprobs and logit_bias with a 400 before the call (console.groq.com/docs/openai)', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ n: 2 }, 'n'],
      [{ logprobs: true }, 'logprobs'],
      [{ logprobs: true, top_logprobs: 2 }, 'logprobs'],
      [{ logit_bias: { '50256': -100 } }, 'logit_bias'],
    ];
    for (const [fields, param] of cases) {
      const { adapter, sent } = adapterOf(groqProvider, { body: completion({ content: 'x' }, 'stop') });
      const body = { model: 'fast', messages: [{ role: 'user', content: 'hi' }], ...fields };
      await assert.rejects(adapter.chat(native(body), call('llama-3.3-70b-versatile')), invalid(param), JSON.stringify(fields));
      assert.equal(sent.length, 0);
    }
    // The typed request (an Anthropic caller's) is checked the same way.
    const { adapter } = adapterOf(groqProvider, { body: completion({ content: 'x' }, 'stop') });
    await assert.rejects(adapter.chat({ ...base, n: 3 }, call('m')), invalid('n'));
  });

  it('leaves out what Groq refuses but the answer does not need (messages[].name, logprobs: false, reasoning_content), with warnings', async () => {
    const { adapter, sent } = adapterOf(groqProvider, { body: completion({ content: 'x' }, 'stop') });
    const body = {
      model: 'fast',
      n: 1,
      logprobs: false,
      messages: [
        { role: 'user', content: 'hi', name: 'ann' },
        { role: 'assistant', content: 'Hello', reasoning_content: 'They greet me.' },
        { role: 'user', content: 'again' },
      ],
    };
    const result = await adapter.chat(native(body), call('openai/gpt-oss-20b'));
    assert.deepEqual(sentBody(sent), {
      model: 'openai/gpt-oss-20b',
      n: 1,
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'again' },
      ],
    });
    assert.deepEqual(result.warnings.map((warning) => warning.setting).sort(), ['logprobs', 'messages[].name', 'reasoning_content']);
  });
});

describe('deepseek: reasoning_content of tool-call turns', () => {
  // api-docs.deepseek.com/guides/thinking_mode ("Tool calls"): a turn that called tools must
  // send its reasoning_content back in every later request, or the API answers 400.
  const toolCall = { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } };

  it('relays reasoning_content of an assistant message with tool calls, and still leaves it out of the others', async () => {
    const { adapter, sent } = adapterOf(deepSeekProvider, { body: completion({ content: 'x' }, 'stop') });
    const body = {
      model: 'fast',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'Hello', reasoning_content: 'A greeting.' },
        { role: 'user', content: 'look it up' },
        { role: 'assistant', content: null, reasoning_content: 'I need the tool.', tool_calls: [toolCall] },
        { role: 'tool', tool_call_id: 'call_1', content: '42' },
      ],
    };
    const result = await adapter.chat(native(body), call('deepseek-reasoner'));
    const messages = sentBody(sent).messages as Array<Record<string, unknown>>;
    assert.equal(messages[1]!.reasoning_content, undefined);
    assert.equal(messages[3]!.reasoning_content, 'I need the tool.');
    assert.deepEqual(result.warnings.map((warning) => warning.setting), ['reasoning_content']);
  });

  it("sends an Anthropic caller's thinking of a tool-call turn as reasoning_content", async () => {
    const { adapter, sent } = adapterOf(deepSeekProvider, { body: completion({ content: 'x' }, 'stop') });
    const request: ChatRequest = {
      ...base,
      messages: [
        user('look it up'),
        { role: 'assistant', content: [{ type: 'reasoning', text: 'I need the tool.', signature: '' }, { type: 'tool-call', id: 'call_1', name: 'lookup', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '42' }] },
      ],
    };
    const result = await adapter.chat(request, call('deepseek-reasoner'));
    const messages = sentBody(sent).messages as Array<Record<string, unknown>>;
    assert.equal(messages[1]!.reasoning_content, 'I need the tool.');
    assert.deepEqual(result.warnings, []);
  });
});

describe('deepseek: the output limit', () => {
  it("sends an OpenAI caller's max_completion_tokens as the max_tokens DeepSeek reads (it ignores the other: earendil-works/pi#8018)", async () => {
    const { adapter, sent } = adapterOf(deepSeekProvider, { body: completion({ content: 'x' }, 'length') });
    await adapter.chat(native({ model: 'fast', max_completion_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }), call('deepseek-chat'));
    assert.deepEqual(sentBody(sent), { model: 'deepseek-chat', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
  });
});

describe("openai: an Anthropic caller's stop sequences", () => {
  it('refuses more than the 4 stop sequences OpenAI takes with a 400 before the call (openapi.yaml StopConfiguration maxItems 4)', async () => {
    for (const definition of [openAIProvider, azureOpenAIProvider]) {
      const { adapter, sent } = adapterOf(definition, { body: completion({ content: 'x' }, 'stop') }, 'openai', 'https://res.openai.azure.com');
      await assert.rejects(adapter.chat({ ...base, stop: ['a', 'b', 'c', 'd', 'e'] }, call('gpt-4o')), invalid('stop'));
      assert.equal(sent.length, 0);
      await adapter.chat({ ...base, stop: ['a', 'b', 'c', 'd'] }, call('gpt-4o'));
      assert.deepEqual(sentBody(sent, 0).stop, ['a', 'b', 'c', 'd']);
    }
  });
});

describe('openrouter error bodies', () => {
  it("keeps the upstream provider's words from error.metadata (openrouter.ai/docs/api/reference/errors-and-debugging)", () => {
    const detail = readOpenAIError({ error: { code: 400, message: 'Provider returned error', metadata: { provider_name: 'Fireworks', raw: '{"error":"max_tokens too large"}' } } });
    assert.equal(detail.message, 'Provider returned error (Fireworks: {"error":"max_tokens too large"})');
    const flagged = readOpenAIError({ error: { code: 403, message: 'Input flagged', metadata: { reasons: ['violence', 'harassment'], flagged_input: '…', provider_name: 'OpenAI' } } });
    assert.equal(flagged.message, 'Input flagged (reasons: violence, harassment)');
  });

  it('quotes them for an error sent mid-stream too, as OpenRouter sends one once it has answered 200', async () => {
    const failure = { error: { code: 502, message: 'Provider returned error', metadata: { provider_name: 'Fireworks', raw: 'upstream overloaded' } }, choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] };
    const { adapter } = adapterOf(openRouterProvider, { body: sse(chunk({ content: 'Hi' }), { ...chunk({}), ...failure }) });
    const last = (await collect(await adapter.streamChat({ ...base, stream: true }, call('m')))).at(-1);
    assert.equal(last?.type === 'error' && last.error.message, 'Provider "p" answered with an error: Provider returned error (Fireworks: upstream overloaded)');
  });
});
