import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { collectStream, openaiClient, textBeforeStreamError } from '../helpers/openai-client.ts';
import { anthropicClient } from '../helpers/anthropic-client.ts';
import { CohereSimulator, preambleTokens, simulatedVector } from '../simulators/cohere/server.ts';

const masterKey = 'sb-master-cohere-key';

describe('OpenAI ingress → Cohere provider → strict Cohere Chat v2 simulator (official openai SDK)', () => {
  let simulator: CohereSimulator;
  let gateway: TestGateway;
  let client: OpenAI;
  const tools = [
    { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
    { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } } },
  ];

  before(async () => {
    simulator = await new CohereSimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'co', type: 'cohere', base_url: simulator.url, api_key: simulator.apiKey, timeout_ms: 2000 }],
      models: [
        { id: 'command', provider: 'co', upstream: 'command-a-03-2025', pricing: { input_per_mtok: 2.5, output_per_mtok: 10 } },
        { id: 'cembed', provider: 'co', upstream: 'embed-v4.0', pricing: { input_per_mtok: 0.12, output_per_mtok: 0 } },
      ],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, simulator));

  it('answers a plain chat with Cohere parameter names and usage from tokens', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'command', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }], temperature: 0.2, top_p: 0.5, seed: 7, max_tokens: 50, stop: ['END'] })
      .withResponse();
    assert.equal(data.choices[0]?.message.content, 'Simulated reply from command-a-03-2025: Hello there');
    assert.equal(data.choices[0]?.finish_reason, 'stop');
    const upstream = simulator.chatCalls().at(-1)!;
    assert.equal(upstream.path, '/v2/chat');
    assert.equal(upstream.headers.authorization, `Bearer ${simulator.apiKey}`);
    assert.deepStrictEqual(upstream.body, {
      model: 'command-a-03-2025',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }],
      max_tokens: 50,
      stop_sequences: ['END'],
      temperature: 0.2,
      p: 0.5,
      seed: 7,
    });
    const row = await gateway.ledgerRow(response);
    assert.equal(row?.status, 'ok');
    assert.equal(row?.provider, 'co');
    assert.equal(data.usage!.prompt_tokens, row?.inputTokens);
    assert.ok(data.usage!.prompt_tokens > preambleTokens, 'usage.tokens (preamble included) is preferred to billed_units');
    assert.equal(row?.tokensEstimated, false);
  });

  it('streams typed events as text with the usage chunk', async () => {
    const stream = await client.chat.completions.create({ model: 'command', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'count to three' }] });
    const { text, finish, usage } = await collectStream(stream);
    assert.equal(text, 'Simulated reply from command-a-03-2025: count to three');
    assert.equal(finish, 'stop');
    assert.ok(usage && usage.completion_tokens > 0 && usage.prompt_tokens > preambleTokens);
    assert.equal(simulator.chatCalls().at(-1)?.body?.stream, true);
  });

  it('round-trips tool calls with the tool plan as reasoning, non-streamed and streamed, ids paired', async () => {
    const first = await client.chat.completions.create({ model: 'command', tools, tool_choice: 'required', messages: [{ role: 'user', content: 'weather and time in Paris?' }] });
    const message = first.choices[0]!.message as typeof first.choices[0]['message'] & { reasoning_content?: string };
    assert.equal(first.choices[0]!.finish_reason, 'tool_calls');
    assert.equal(message.reasoning_content, 'I will call get_weather and get_time.');
    assert.deepStrictEqual(message.tool_calls!.map((call) => call.id), ['get_weather_sim0', 'get_time_sim1']);
    assert.equal(simulator.chatCalls().at(-1)?.body?.tool_choice, 'REQUIRED');

    const { reasoning, toolCalls } = await collectStream(await client.chat.completions.create({ model: 'command', tools, stream: true, messages: [{ role: 'user', content: 'weather and time in Paris?' }] }));
    assert.equal(reasoning, 'I will call get_weather and get_time.');
    assert.deepStrictEqual(toolCalls, [
      { id: 'get_weather_sim0', name: 'get_weather', args: '{"city":"value-city"}' },
      { id: 'get_time_sim1', name: 'get_time', args: '{"zone":"value-zone"}' },
    ]);

    const second = await client.chat.completions.create({
      model: 'command',
      tools,
      messages: [
        { role: 'user', content: 'weather and time in Paris?' },
        // @ts-expect-error reasoning_content is the gateway's extension, sent back as Cohere's tool_plan
        { role: 'assistant', content: null, reasoning_content: message.reasoning_content, tool_calls: message.tool_calls },
        { role: 'tool', tool_call_id: 'get_weather_sim0', content: '18C and sunny' },
        { role: 'tool', tool_call_id: 'get_time_sim1', content: 'noon' },
      ],
    });
    assert.equal(second.choices[0]!.message.content, 'The tool get_time_sim1 said: noon');
    const sent = simulator.chatCalls().at(-1)!.body!.messages as Array<Record<string, unknown>>;
    assert.deepStrictEqual(sent[1], {
      role: 'assistant',
      tool_plan: 'I will call get_weather and get_time.',
      tool_calls: [
        { id: 'get_weather_sim0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"value-city"}' } },
        { id: 'get_time_sim1', type: 'function', function: { name: 'get_time', arguments: '{"zone":"value-zone"}' } },
      ],
    });
    assert.deepStrictEqual(sent[2], { role: 'tool', tool_call_id: 'get_weather_sim0', content: '18C and sunny' });
  });

  it('forces a named tool by offering only that tool with REQUIRED, and says so in the ledger', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'command', tools, tool_choice: { type: 'function', function: { name: 'get_time' } }, messages: [{ role: 'user', content: 'time?' }] })
      .withResponse();
    assert.deepStrictEqual(data.choices[0]!.message.tool_calls!.map((call) => call.type === 'function' && call.function.name), ['get_time']);
    const body = simulator.chatCalls().at(-1)!.body!;
    assert.deepStrictEqual([(body.tools as Array<{ function: { name: string } }>).map((tool) => tool.function.name), body.tool_choice], [['get_time'], 'REQUIRED']);
    const row = await gateway.ledgerRow(response);
    assert.deepStrictEqual(row?.warnings.map((warning) => warning.setting), ['tool_choice']);
  });

  it('creates embeddings through /v2/embed with an input_type, base64 by default and floats when asked', async () => {
    const { data } = await client.embeddings.create({ model: 'cembed', input: ['one', 'three'], dimensions: 4 }).withResponse();
    assert.equal(data.data.length, 2);
    data.data[1]!.embedding.forEach((value, index) => assert.ok(Math.abs(value - simulatedVector('three', 4)[index]!) < 1e-6));
    assert.deepStrictEqual(simulator.requests.at(-1)?.body, { model: 'embed-v4.0', texts: ['one', 'three'], input_type: 'search_document', embedding_types: ['float'], output_dimension: 4 });
    // @ts-expect-error input_type is the gateway's extension for providers that take a task hint
    const floats = await client.embeddings.create({ model: 'cembed', input: 'query text', encoding_format: 'float', input_type: 'search_query' });
    assert.deepStrictEqual(floats.data[0]!.embedding, simulatedVector('query text', 8));
    assert.equal(simulator.requests.at(-1)?.body?.input_type, 'search_query');
  });

  it('splits more than 96 texts into calls of 96 (Cohere\'s per-call limit), vectors in input order and usage summed', async () => {
    const input = Array.from({ length: 100 }, (_, index) => `text ${'x'.repeat(index)}`);
    const before = simulator.requests.length;
    const { data, response } = await client.embeddings.create({ model: 'cembed', input, encoding_format: 'float' }).withResponse();
    const calls = simulator.requests.slice(before);
    assert.deepStrictEqual(calls.map((call) => (call.body?.texts as string[]).length), [96, 4]);
    assert.deepStrictEqual(data.data.map((item) => item.index), input.map((_, index) => index));
    data.data.forEach((item, index) => assert.deepStrictEqual(item.embedding, simulatedVector(input[index]!, 8)));
    const row = (await gateway.ledgerRow(response))!;
    assert.equal(row.status, 'ok');
    assert.equal(data.usage.prompt_tokens, row.inputTokens);
    assert.equal(row.tokensEstimated, false);
  });

  it('sends the Cohere fields a caller gave (truncate) and warns of those it has none for', async () => {
    // @ts-expect-error truncate is Cohere's own field, let through by the ingress
    const { response } = await client.embeddings.create({ model: 'cembed', input: 'one', truncate: 'NONE', user: 'u-1' }).withResponse();
    assert.equal(simulator.requests.at(-1)?.body?.truncate, 'NONE');
    const row = (await gateway.ledgerRow(response))!;
    assert.deepStrictEqual(row.warnings.map((warning) => warning.setting), ['user']);
  });

  it("keeps a 429 with its retry-after and a Cohere 400's message", async () => {
    simulator.fail({ kind: 'status', status: 429, headers: { 'retry-after': '11' }, body: { id: 'x', message: 'You are using a Trial key, which is limited to 20 API calls / minute.' } });
    await assert.rejects(client.chat.completions.create({ model: 'command', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.headers.get('retry-after'), '11');
      assert.match(error.message, /Trial key/);
      return true;
    });
    simulator.fail({ kind: 'status', status: 400, body: { id: 'y', message: 'invalid request: cannot specify both frequency_penalty and presence_penalty.' } });
    await assert.rejects(client.chat.completions.create({ model: 'command', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.match(error.message, /cannot specify both frequency_penalty and presence_penalty/);
      return true;
    });
    const before = simulator.requests.length;
    await assert.rejects(client.chat.completions.create({ model: 'command', n: 2, messages: [{ role: 'user', content: 'hi' }] }), OpenAI.BadRequestError);
    assert.equal(simulator.requests.length, before, 'n > 1 is refused before any call');
  });

  it('reaches the SDK as an error when the stream is cut mid-way or ends with ERROR', async () => {
    simulator.fail({ kind: 'cut-stream', afterChunks: 4 });
    const stream = await client.chat.completions.create({ model: 'command', stream: true, messages: [{ role: 'user', content: 'tell me a long story please' }] });
    const text = await textBeforeStreamError(stream, OpenAI.APIError);
    assert.ok(text.length > 0, 'the part before the cut was delivered');

    simulator.fail({ kind: 'stream-error', afterChunks: 3, message: 'internal generation failure' });
    const failing = await client.chat.completions.create({ model: 'command', stream: true, messages: [{ role: 'user', content: 'another long story please' }] });
    await textBeforeStreamError(failing, /internal generation failure/);
    const rows = await gateway.ledger();
    assert.ok(rows.some((row) => row.stream && row.status === 'error' && row.errorCode === 'SB_ERR_STREAM_INTERRUPTED'));
    assert.ok(rows.some((row) => row.stream && row.status === 'error' && row.errorCode === 'SB_ERR_UPSTREAM_ERROR'));
  });
});

describe('Anthropic ingress → Cohere: a STOP_SEQUENCE finish is a stop_sequence stop', () => {
  let simulator: CohereSimulator;
  let gateway: TestGateway;
  before(async () => {
    simulator = await new CohereSimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'co', type: 'cohere', base_url: simulator.url, api_key: simulator.apiKey, timeout_ms: 2000 }],
      models: [{ id: 'command', provider: 'co', upstream: 'command-a-03-2025' }],
    });
  });
  after(() => closeAll(gateway, simulator));

  it('names the caller\'s one stop sequence, non-streamed and streamed; with several it cannot tell which', async () => {
    const anthropic = anthropicClient(gateway, masterKey);
    const ask = { model: 'command', max_tokens: 100, messages: [{ role: 'user' as const, content: 'stop here please' }] };
    const answer = await anthropic.messages.create({ ...ask, stop_sequences: ['here'] });
    assert.equal(simulator.chatCalls().at(-1)?.body?.stop_sequences?.toString(), 'here');
    assert.deepStrictEqual([answer.stop_reason, answer.stop_sequence], ['stop_sequence', 'here']);
    assert.deepStrictEqual(answer.content, [{ type: 'text', text: 'Simulated reply from command-a-03-2025: stop ', citations: null }]);
    const streamed = await anthropic.messages.stream({ ...ask, stop_sequences: ['here'] }).finalMessage();
    assert.deepStrictEqual([streamed.stop_reason, streamed.stop_sequence], ['stop_sequence', 'here']);
    // Cohere does not say which of several matched: the answer reads as end_turn (docs/anthropic-ingress.md).
    const several = await anthropic.messages.create({ ...ask, stop_sequences: ['here', 'nowhere'] });
    assert.deepStrictEqual([several.stop_reason, several.stop_sequence], ['end_turn', null]);
  });
});

describe('the Cohere simulator is strict', () => {
  let simulator: CohereSimulator;
  before(async () => {
    simulator = await new CohereSimulator().start();
  });
  after(() => simulator.close());

  const post = async (body: unknown, key: string | null = simulator.apiKey) => {
    const response = await fetch(`${simulator.url}/v2/chat`, { method: 'POST', headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, message: ((await response.json()) as { message?: string }).message ?? '' };
  };
  const user = { role: 'user', content: 'hi' };

  it('refuses missing or wrong keys, unknown fields, wrong roles and tool messages without their call', async () => {
    assert.deepStrictEqual(await post({ model: 'c', messages: [user] }, null), { status: 401, message: 'no api key supplied' });
    assert.equal((await post({ model: 'c', messages: [user] }, 'wrong')).status, 401);
    assert.match((await post({ model: 'c', messages: [user], top_p: 0.5 })).message, /unknown field: parameter 'top_p'/);
    assert.match((await post({ model: 'c', messages: [{ role: 'developer', content: 'x' }, user] })).message, /role must be one of/);
    assert.match((await post({ model: 'c', messages: [{ ...user, name: 'ann' }] })).message, /unknown field/);
    assert.match((await post({ model: 'c', messages: [user, { role: 'tool', tool_call_id: 't1', content: 'r' }] })).message, /does not answer a tool call/);
    assert.match((await post({ model: 'c', messages: [user], tool_choice: 'required' })).message, /tool_choice must be one of/);
    assert.equal((await post({ model: 'c', messages: [user] })).status, 200);
  });
});
