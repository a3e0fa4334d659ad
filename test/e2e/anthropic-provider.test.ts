import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { AnthropicSimulator } from '../simulators/anthropic/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { collectStream, onlyToolCall, openaiClient, textBeforeStreamError } from '../helpers/openai-client.ts';

const masterKey = 'sb-master-anthropic-key';
const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const weather = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
const time = { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } } };

describe('OpenAI ingress through an Anthropic provider (official openai SDK, strict Anthropic simulator)', () => {
  let simulator: AnthropicSimulator;
  let cachedSimulator: AnthropicSimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    simulator = await new AnthropicSimulator().start();
    cachedSimulator = await new AnthropicSimulator({ cacheTokens: { read: 100, write: 10, writeForAnHour: 4 } }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'claude', type: 'anthropic', base_url: simulator.url, api_key: simulator.apiKey, headers: { 'anthropic-beta': 'test-beta-2025' } },
        { id: 'claude-cached', type: 'anthropic', base_url: cachedSimulator.url, api_key: cachedSimulator.apiKey },
        { id: 'claude-badkey', type: 'anthropic', base_url: simulator.url, api_key: 'sk-ant-wrong-key' },
      ],
      models: [
        { id: 'sonnet', provider: 'claude', upstream: 'claude-sim-sonnet', pricing: { input_per_mtok: 3, output_per_mtok: 15 } },
        { id: 'haiku', provider: 'claude', upstream: 'claude-sim-haiku', max_output_tokens: 2048 },
        { id: 'sonnet45', provider: 'claude', upstream: 'claude-sonnet-4-5-20250929', pricing: { input_per_mtok: 3, output_per_mtok: 15 } },
        { id: 'cached', provider: 'claude-cached', upstream: 'claude-sim-cached', pricing: { input_per_mtok: 3, output_per_mtok: 15 } },
        { id: 'misconfigured', provider: 'claude-badkey', upstream: 'claude-sim-sonnet' },
        // One model per injected failure: the router cools a model down after it fails.
        { id: 'limited', provider: 'claude', upstream: 'claude-sim-limited' },
        { id: 'overloaded', provider: 'claude', upstream: 'claude-sim-overloaded' },
        { id: 'stream-error', provider: 'claude', upstream: 'claude-sim-stream-error' },
        { id: 'cut-stream', provider: 'claude', upstream: 'claude-sim-cut-stream' },
      ],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, simulator, cachedSimulator));

  it('sends the system prompt and stop sequences in native form, with the key and version headers, and maps the stop', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'sonnet', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there. END of message' }], stop: ['END'], temperature: 0.2, user: 'u1' })
      .withResponse();
    const upstream = simulator.messageCalls().at(-1)!;
    assert.equal(upstream.headers['x-api-key'], simulator.apiKey);
    assert.equal(upstream.headers['anthropic-version'], '2023-06-01');
    assert.equal(upstream.headers['anthropic-beta'], 'test-beta-2025');
    assert.deepStrictEqual(upstream.body, {
      model: 'claude-sim-sonnet',
      max_tokens: 4096,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello there. END of message' }],
      temperature: 0.2,
      stop_sequences: ['END'],
      metadata: { user_id: 'u1' },
    });
    assert.equal(data.choices[0]?.message.content, 'Simulated reply from claude-sim-sonnet: Hello there. ');
    assert.equal(data.choices[0]?.finish_reason, 'stop');
    assert.equal(data.model, 'claude-sim-sonnet');
    assert.equal(response.headers.get('x-switchboard-provider'), 'claude');
    const row = (await gateway.ledgerRow(response))!;
    assert.equal(row.status, 'ok');
    assert.equal(row.inputTokens, data.usage!.prompt_tokens);
    assert.equal(row.outputTokens, data.usage!.completion_tokens);
    assert.equal(row.tokensEstimated, false);
  });

  it('sends the model entry\'s max_output_tokens, or 4096, when the client gives no max_tokens, and maps a cut answer to length', async () => {
    await client.chat.completions.create({ model: 'haiku', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(simulator.messageCalls('claude-sim-haiku').at(-1)!.body?.max_tokens, 2048);
    const cut = await client.chat.completions.create({ model: 'sonnet', max_tokens: 3, messages: [{ role: 'user', content: 'a long question indeed' }] });
    assert.equal(simulator.messageCalls().at(-1)!.body?.max_tokens, 3);
    assert.equal(cut.choices[0]?.finish_reason, 'length');
    assert.equal(cut.usage?.completion_tokens, 3);
  });

  it('streams text with the usage chunk when asked, matching the non-streamed usage', async () => {
    const messages = [{ role: 'user' as const, content: 'count to three' }];
    const plain = await client.chat.completions.create({ model: 'sonnet', messages });
    const stream = await client.chat.completions.create({ model: 'sonnet', stream: true, stream_options: { include_usage: true }, messages });
    const { text, finish, usage } = await collectStream(stream);
    assert.equal(simulator.messageCalls().at(-1)!.body?.stream, true);
    assert.equal(text, 'Simulated reply from claude-sim-sonnet: count to three');
    assert.equal(text, plain.choices[0]?.message.content);
    assert.equal(finish, 'stop');
    assert.deepStrictEqual(usage, plain.usage);
  });

  it('answers temperature and top_p together for a Claude that takes one of them (Sonnet 4.5): temperature sent, the row says top_p was not', async () => {
    const { response } = await client.chat.completions.create({ model: 'sonnet45', temperature: 0.3, top_p: 0.9, messages: [{ role: 'user', content: 'Both?' }] }).withResponse();
    const sent = simulator.messageCalls('claude-sonnet-4-5-20250929').at(-1)!.body as Record<string, unknown>;
    assert.deepStrictEqual([sent.temperature, 'top_p' in sent], [0.3, false]);
    assert.deepStrictEqual((await gateway.ledgerRow(response))!.warnings.map((warning) => warning.setting), ['top_p']);
  });

  it('counts cached prompt tokens into the prompt, and reports them as cached', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'cached', messages: [{ role: 'user', content: 'hi again' }] }).withResponse();
    const plain = await client.chat.completions.create({ model: 'sonnet', messages: [{ role: 'user', content: 'hi again' }] });
    assert.equal(data.usage!.prompt_tokens, plain.usage!.prompt_tokens + 110);
    assert.equal(data.usage!.prompt_tokens_details?.cached_tokens, 100);
    const row = (await gateway.ledgerRow(response))!;
    assert.equal(row.cachedInputTokens, 100);
    assert.equal(row.cacheWriteTokens, 10);
    // Anthropic's multipliers of the $3 input price: reads 0.1x, writes 1.25x (5 minutes) and 2x (an hour).
    const uncached = data.usage!.prompt_tokens - 110;
    const expected = (uncached * 3 + 100 * 0.3 + 6 * 3.75 + 4 * 6 + data.usage!.completion_tokens * 15) / 1_000_000;
    assert.ok(Math.abs(row.costUsd - expected) < 1e-12, `cost ${row.costUsd}, expected ${expected}`);
    assert.equal(Number(response.headers.get('x-switchboard-cost-usd')), row.costUsd);
  });

  it('streams a tool call, then sends the result back with the ids paired', async () => {
    const question = { role: 'user' as const, content: 'weather in Paris?' };
    const streamed = await collectStream(await client.chat.completions.create({ model: 'sonnet', tools: [weather], stream: true, messages: [question] }));
    const { id, name, args } = onlyToolCall(streamed);
    assert.equal(id, 'toolu_sim_0_get_weather');
    assert.equal(name, 'get_weather');
    assert.deepStrictEqual(JSON.parse(args), { city: 'value-city' });
    assert.equal(streamed.finish, 'tool_calls');

    const second = await client.chat.completions.create({
      model: 'sonnet',
      tools: [weather],
      messages: [question, { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name, arguments: args } }] }, { role: 'tool', tool_call_id: id, content: '18C and sunny' }],
    });
    assert.equal(second.choices[0]!.message.content, `The tool ${id} said: 18C and sunny`);
    assert.deepStrictEqual(simulator.messageCalls().at(-1)!.body?.messages, [
      { role: 'user', content: 'weather in Paris?' },
      { role: 'assistant', content: [{ type: 'tool_use', id, name: 'get_weather', input: { city: 'value-city' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: '18C and sunny' }] },
    ]);
  });

  it('makes parallel tool calls, streamed and not, answers both results in one user turn, and honours parallel_tool_calls false', async () => {
    const question = { role: 'user' as const, content: 'weather and time in Paris?' };
    const first = await client.chat.completions.create({ model: 'sonnet', tools: [weather, time], messages: [question] });
    const calls = first.choices[0]!.message.tool_calls!;
    assert.deepStrictEqual(calls.map((call) => call.type === 'function' && [call.id, call.function.name, JSON.parse(call.function.arguments)]), [
      ['toolu_sim_0_get_weather', 'get_weather', { city: 'value-city' }],
      ['toolu_sim_1_get_time', 'get_time', { zone: 'value-zone' }],
    ]);

    const { toolCalls } = await collectStream(await client.chat.completions.create({ model: 'sonnet', tools: [weather, time], stream: true, messages: [question] }));
    assert.deepStrictEqual(toolCalls.map((entry) => [entry.id, JSON.parse(entry.args)]), [
      ['toolu_sim_0_get_weather', { city: 'value-city' }],
      ['toolu_sim_1_get_time', { zone: 'value-zone' }],
    ]);

    const answered = await client.chat.completions.create({
      model: 'sonnet',
      tools: [weather, time],
      messages: [question, first.choices[0]!.message, { role: 'tool', tool_call_id: calls[0]!.id, content: 'sunny' }, { role: 'tool', tool_call_id: calls[1]!.id, content: 'noon' }],
    });
    assert.equal(answered.choices[0]!.message.content, 'The tool toolu_sim_0_get_weather said: sunny\nThe tool toolu_sim_1_get_time said: noon');
    const lastTurn = (simulator.messageCalls().at(-1)!.body?.messages as Array<{ role: string; content: unknown }>).at(-1);
    assert.deepStrictEqual(lastTurn, {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_sim_0_get_weather', content: 'sunny' },
        { type: 'tool_result', tool_use_id: 'toolu_sim_1_get_time', content: 'noon' },
      ],
    });

    const serial = await client.chat.completions.create({ model: 'sonnet', tools: [weather, time], parallel_tool_calls: false, messages: [question] });
    assert.equal(serial.choices[0]!.message.tool_calls!.length, 1);
    assert.deepStrictEqual(simulator.messageCalls().at(-1)!.body?.tool_choice, { type: 'auto', disable_parallel_tool_use: true });
  });

  it('sends image parts as native image blocks (base64 for data URLs, url for https)', async () => {
    const result = await client.chat.completions.create({
      model: 'sonnet',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What are these?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    });
    assert.deepStrictEqual(simulator.messageCalls().at(-1)!.body?.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What are these?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
    assert.equal(result.choices[0]!.message.content, 'Simulated reply from claude-sim-sonnet: What are these? [image] [image]');
  });

  it('sends prompt-caching breakpoints of the OpenAI format (prompt_cache_breakpoint, cache_control) as cache_control, with no warning for what was carried over', async () => {
    // Fields the SDK's types do not know yet: sent as the caller wrote them.
    const messages = [
      { role: 'system', content: [{ type: 'text', text: 'Long rules.', prompt_cache_breakpoint: { mode: 'explicit' } }] },
      { role: 'user', content: [{ type: 'text', text: 'A long document.', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Question?' }] },
    ] as unknown as OpenAI.ChatCompletionMessageParam[];
    const { response } = await client.chat.completions.create({ model: 'sonnet', messages, prompt_cache_options: { ttl: '30m' } } as OpenAI.ChatCompletionCreateParamsNonStreaming).withResponse();
    const body = simulator.messageCalls().at(-1)!.body!;
    assert.deepStrictEqual(body.system, [{ type: 'text', text: 'Long rules.', cache_control: { type: 'ephemeral', ttl: '1h' } }]);
    assert.deepStrictEqual(body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'A long document.', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Question?' }] },
    ]);
    assert.equal('prompt_cache_options' in body, false);
    // Mode implicit (the default) asked OpenAI for a breakpoint of its choosing too: the row says it was not.
    const row = (await gateway.ledgerRow(response))!;
    assert.deepStrictEqual(row.warnings.map((warning) => warning.setting), ['prompt_cache_options.mode']);
    const explicit = await client.chat.completions.create({ model: 'sonnet', messages, prompt_cache_options: { ttl: '30m', mode: 'explicit' } } as OpenAI.ChatCompletionCreateParamsNonStreaming).withResponse();
    assert.deepStrictEqual((await gateway.ledgerRow(explicit.response))!.warnings, []);
  });

  it('refuses settings Anthropic cannot honour before calling it, and records the ones it dropped as warnings', async () => {
    const before = simulator.requests.length;
    for (const [extra, param] of [[{ temperature: 1.5 }, 'temperature'], [{ n: 2 }, 'n'], [{ logprobs: true }, 'logprobs']] as const) {
      await assert.rejects(client.chat.completions.create({ model: 'sonnet', messages: [{ role: 'user', content: 'hi' }], ...extra }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError);
        assert.equal((error.error as { param?: string }).param, param);
        return true;
      });
    }
    assert.equal(simulator.requests.length, before, 'Anthropic was called');

    const { response } = await client.chat.completions.create({ model: 'sonnet', seed: 7, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal('seed' in simulator.messageCalls().at(-1)!.body!, false);
    const row = (await gateway.ledgerRow(response))!;
    assert.deepStrictEqual(row.warnings.map((warning) => warning.setting), ['seed']);
  });

  it('keeps a 429 with its retry-after, answers 503 for 529 overloaded, and 502 for the provider\'s 401', async () => {
    const chat = { model: 'limited', messages: [{ role: 'user' as const, content: 'hi' }] };
    simulator.fail({ kind: 'status', status: 429, headers: { 'retry-after': '7' } }, { model: 'claude-sim-limited' });
    await assert.rejects(client.chat.completions.create(chat).withResponse(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.headers?.get('retry-after'), '7');
      assert.match(error.message, /rate limit/);
      return true;
    });

    simulator.fail({ kind: 'status', status: 529 }, { model: 'claude-sim-overloaded' });
    await assert.rejects(client.chat.completions.create({ ...chat, model: 'overloaded' }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 503);
      assert.match(error.message, /answered 529: Overloaded/);
      return true;
    });

    await assert.rejects(client.chat.completions.create({ ...chat, model: 'misconfigured' }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 502);
      assert.match(error.message, /answered 401: invalid x-api-key/);
      return true;
    });
  });

  it('raises a mid-stream error event (and a cut stream) in the SDK, never a silent end', async () => {
    for (const fault of [{ kind: 'stream-error', afterChunks: 4 }, { kind: 'cut-stream', afterChunks: 4 }] as const) {
      simulator.fail(fault, { model: `claude-sim-${fault.kind}` });
      // The continuation the gateway then tries (stream resume) is refused too: nothing can finish the answer.
      simulator.fail({ kind: 'status', status: 529 }, { model: `claude-sim-${fault.kind}` });
      const stream = await client.chat.completions.create({ model: fault.kind, stream: true, messages: [{ role: 'user', content: 'tell me a story' }] });
      const text = await textBeforeStreamError(stream, (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError, `${fault.kind}: ${String(error)}`);
        if (fault.kind === 'stream-error') assert.match(error.message, /reported an error \(overloaded_error\): Overloaded/);
        return true;
      });
      assert.equal(text, 'Simulated ', `${fault.kind}: the text before the failure arrived`);
    }
    const rows = await gateway.ledger();
    for (const model of ['stream-error', 'cut-stream']) {
      assert.equal(rows.find((row) => row.model === model)?.status, 'error', `the failed ${model} stream is a ledger error`);
    }
  });
});

describe('the Anthropic simulator speaks the real protocol (official @anthropic-ai/sdk)', () => {
  let simulator: AnthropicSimulator;
  let anthropic: Anthropic;

  before(async () => {
    simulator = await new AnthropicSimulator().start();
    // The installed @anthropic-ai/sdk sends `apiKey` as `Authorization: Bearer`; Anthropic's API
    // (and this simulator) authenticate API keys by `x-api-key`, so the header is set directly.
    anthropic = new Anthropic({ baseURL: simulator.url, apiKey: null, authToken: null, defaultHeaders: { 'x-api-key': simulator.apiKey }, maxRetries: 0 });
  });

  after(() => simulator.close());

  /** Posts a raw body with the right headers unless told otherwise. */
  async function post(body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${simulator.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': simulator.apiKey, 'anthropic-version': '2023-06-01', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { type: string; error: { type: string; message: string } } };
  }

  it('answers and streams text, thinking and tool use that the SDK parses', async () => {
    const message = await anthropic.messages.create({ model: 'claude-x', max_tokens: 100, messages: [{ role: 'user', content: 'hello' }] });
    assert.deepStrictEqual(message.content, [{ type: 'text', text: 'Simulated reply from claude-x: hello' }]);
    const stream = anthropic.messages.stream({ model: 'claude-x', max_tokens: 3000, thinking: { type: 'enabled', budget_tokens: 1024 }, tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }], messages: [{ role: 'user', content: 'weather?' }] });
    const final = await stream.finalMessage();
    assert.deepStrictEqual(final.content.map((block) => block.type), ['thinking', 'tool_use']);
    assert.deepStrictEqual(final.content[1]!.type === 'tool_use' && final.content[1]!.input, { city: 'value-city' });
    assert.equal(final.stop_reason, 'tool_use');
  });

  it('rejects what the real API rejects, with Anthropic error bodies', async () => {
    const hi = [{ role: 'user', content: 'hi' }];
    const cases: Array<[unknown, Record<string, string>, number, RegExp]> = [
      [{ model: 'm', max_tokens: 5, messages: hi }, { 'x-api-key': '' }, 401, /x-api-key header is required/],
      [{ model: 'm', max_tokens: 5, messages: hi }, { 'x-api-key': 'wrong' }, 401, /invalid x-api-key/],
      [{ model: 'm', max_tokens: 5, messages: hi }, { 'x-api-key': '', authorization: `Bearer ${simulator.apiKey}` }, 401, /x-api-key header is required/],
      [{ model: 'm', max_tokens: 5, messages: hi }, { 'anthropic-version': '' }, 400, /anthropic-version/],
      [{ model: 'm', messages: hi }, {}, 400, /max_tokens: Field required/],
      [{ model: 'm', max_tokens: 5, messages: hi, n: 2 }, {}, 400, /n: Extra inputs are not permitted/],
      [{ model: 'm', max_tokens: 5, messages: [{ role: 'system', content: 'x' }, ...hi] }, {}, 400, /Unexpected role "system"/],
      [{ model: 'm', max_tokens: 5, messages: hi, temperature: 1.5 }, {}, 400, /temperature/],
      // Caught by the spec schema (ajv), not a hand-written check: proves schema validation is on.
      [{ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'Qk0=' } }] }] }, {}, 400, /media_type/],
      [{ model: 'm', max_tokens: 5, messages: [...hi, { role: 'assistant', content: 'ok' }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'r' }] }] }, {}, 400, /unexpected `tool_use_id`/],
      [{ model: 'm', max_tokens: 5, messages: [...hi, { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_a', name: 'f', input: {} }] }, { role: 'user', content: 'next' }] }, {}, 400, /without `tool_result` blocks/],
    ];
    for (const [body, headers, status, pattern] of cases) {
      const response = await post(body, headers);
      assert.equal(response.status, status, JSON.stringify(body));
      assert.equal(response.body.type, 'error');
      assert.match(response.body.error.message, pattern);
    }
  });

  it('injects 529 overloaded and in-band stream errors that the SDK raises', async () => {
    simulator.fail({ kind: 'status', status: 529 });
    await assert.rejects(anthropic.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof Anthropic.APIError);
      assert.equal(error.status, 529);
      assert.equal((error.error as { error?: { type?: string } }).error?.type, 'overloaded_error');
      return true;
    });
    simulator.fail({ kind: 'stream-error', afterChunks: 3 });
    await assert.rejects(anthropic.messages.stream({ model: 'm', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).finalMessage(), /Overloaded/);
  });
});
