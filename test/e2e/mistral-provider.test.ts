import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { assertCutStreamReported, collectStream, onlyToolCall, openaiClient, textBeforeStreamError } from '../helpers/openai-client.ts';
import { MistralSimulator, simulatedVector } from '../simulators/mistral/server.ts';
import { anthropicClient } from '../helpers/anthropic-client.ts';

const masterKey = 'sb-master-mistral-key';
const toolCallId = /^[a-zA-Z0-9]{9}$/;

describe('OpenAI ingress → Mistral provider → strict Mistral simulator (official openai SDK)', () => {
  let simulator: MistralSimulator;
  let gateway: TestGateway;
  let client: OpenAI;
  const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];

  before(async () => {
    simulator = await new MistralSimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'mis', type: 'mistral', base_url: simulator.url, api_key: simulator.apiKey, timeout_ms: 2000 }],
      models: [
        { id: 'small', provider: 'mis', upstream: 'mistral-small-latest', pricing: { input_per_mtok: 0.1, output_per_mtok: 0.3 } },
        { id: 'membed', provider: 'mis', upstream: 'mistral-embed', pricing: { input_per_mtok: 0.1, output_per_mtok: 0 } },
      ],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, simulator));

  it('answers a plain chat from a body built for Mistral, with the dropped fields recorded as warnings', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'small', messages: [{ role: 'developer', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }], temperature: 0.2, seed: 7, user: 'u1', logit_bias: { '42': 1 }, max_tokens: 50 })
      .withResponse();
    assert.equal(data.choices[0]?.message.content, 'Simulated reply from mistral-small-latest: Hello there');
    assert.equal(data.choices[0]?.finish_reason, 'stop');
    const upstream = simulator.chatCalls().at(-1)!;
    assert.equal(upstream.headers.authorization, `Bearer ${simulator.apiKey}`);
    assert.deepStrictEqual(upstream.body, {
      model: 'mistral-small-latest',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }],
      max_tokens: 50,
      temperature: 0.2,
      random_seed: 7,
    });
    assert.equal(response.headers.get('x-switchboard-provider'), 'mis');
    const row = await gateway.ledgerRow(response);
    assert.equal(row?.status, 'ok');
    assert.equal(row?.inputTokens, data.usage?.prompt_tokens);
    assert.equal(row?.tokensEstimated, false);
    assert.deepStrictEqual(row?.warnings.map((warning) => warning.setting), ['user', 'logit_bias']);
  });

  it('streams with the usage chunk, without sending stream_options Mistral does not define', async () => {
    const stream = await client.chat.completions.create({ model: 'small', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'count to three' }] });
    const { text, finish, usage } = await collectStream(stream);
    assert.equal(text, 'Simulated reply from mistral-small-latest: count to three');
    assert.equal(finish, 'stop');
    assert.ok(usage && usage.completion_tokens > 0 && usage.prompt_tokens > 0);
    const upstream = simulator.chatCalls().at(-1)!;
    assert.equal(upstream.body?.stream, true);
    assert.equal('stream_options' in upstream.body!, false);
  });

  it('round-trips a tool call, non-streamed and streamed, with nine-character ids', async () => {
    const first = await client.chat.completions.create({ model: 'small', tools, tool_choice: 'required', messages: [{ role: 'user', content: 'weather in Paris?' }] });
    const call = first.choices[0]!.message.tool_calls![0]!;
    assert.equal(first.choices[0]!.finish_reason, 'tool_calls');
    assert.match(call.id, toolCallId);
    assert.equal(simulator.chatCalls().at(-1)?.body?.tool_choice, 'any');
    assert.deepEqual(call.type === 'function' && JSON.parse(call.function.arguments), { city: 'value-city' });

    const streamed = await collectStream(await client.chat.completions.create({ model: 'small', tools, stream: true, messages: [{ role: 'user', content: 'weather in Paris?' }] }));
    const { id, args } = onlyToolCall(streamed);
    assert.equal(id, call.id);
    assert.deepEqual(JSON.parse(args), { city: 'value-city' });
    assert.equal(streamed.finish, 'tool_calls');

    const second = await client.chat.completions.create({
      model: 'small',
      tools,
      messages: [{ role: 'user', content: 'weather in Paris?' }, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: '18C' }],
    });
    assert.equal(second.choices[0]!.message.content, `The tool ${call.id} said: 18C`);
  });

  it("maps a client's call_... ids to valid nine-character ids, keeping each call paired with its result", async () => {
    const calls = ['call_4XzlGBLtUe9dy3GVNV4jhq7h', 'call_Qm2vXzL0aaBBccDDeeFFgg11'].map((id, index) => ({ id, type: 'function' as const, function: { name: 'get_weather', arguments: `{"city":"C${index}"}` } }));
    const answer = await client.chat.completions.create({
      model: 'small',
      tools,
      messages: [
        { role: 'user', content: 'weather in two cities?' },
        { role: 'assistant', content: null, tool_calls: calls },
        { role: 'tool', tool_call_id: calls[0]!.id, content: 'sunny' },
        { role: 'tool', tool_call_id: calls[1]!.id, content: 'rainy' },
      ],
    });
    const sent = simulator.chatCalls().at(-1)!.body!.messages as Array<{ role: string; tool_call_id?: string; tool_calls?: Array<{ id: string }> }>;
    const sentCalls = sent[1]!.tool_calls!.map((call) => call.id);
    assert.ok(sentCalls.every((id) => toolCallId.test(id)));
    assert.notEqual(sentCalls[0], sentCalls[1]);
    assert.deepStrictEqual([sent[2]!.tool_call_id, sent[3]!.tool_call_id], sentCalls);
    assert.equal(answer.choices[0]!.message.content, `The tool ${sentCalls[1]} said: rainy`);
  });

  it('creates embeddings, base64 by default as the SDK asks, and floats when asked', async () => {
    const { data, response } = await client.embeddings.create({ model: 'membed', input: ['one', 'three'], dimensions: 4 }).withResponse();
    assert.equal(data.data.length, 2);
    data.data[1]!.embedding.forEach((value, index) => assert.ok(Math.abs(value - simulatedVector('three', 4)[index]!) < 1e-6));
    assert.equal(simulator.requests.at(-1)?.body?.output_dimension, 4);
    assert.equal('encoding_format' in simulator.requests.at(-1)!.body!, false);
    assert.ok(Number(response.headers.get('x-switchboard-cost-usd')) > 0);
    const floats = await client.embeddings.create({ model: 'membed', input: 'one', encoding_format: 'float' });
    assert.deepStrictEqual(floats.data[0]!.embedding, simulatedVector('one', 8));
  });

  it('sends output_dtype as Mistral takes it and warns of user, which it has no field for', async () => {
    // @ts-expect-error output_dtype is Mistral's own field, let through by the ingress
    const { response } = await client.embeddings.create({ model: 'membed', input: 'one', encoding_format: 'float', output_dtype: 'int8', user: 'u-1' }).withResponse();
    assert.equal(simulator.requests.at(-1)?.body?.output_dtype, 'int8');
    const row = (await gateway.ledgerRow(response))!;
    assert.deepStrictEqual(row.warnings.map((warning) => warning.setting), ['user']);
  });

  it('refuses token-id inputs before any call (Mistral embeds strings only)', async () => {
    const before = simulator.requests.length;
    await assert.rejects(client.embeddings.create({ model: 'membed', input: [[1, 2, 3]] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError, String(error));
      assert.match(error.message, /token/);
      return true;
    });
    assert.equal(simulator.requests.length, before);
  });

  it('keeps a 429 with its retry-after, and turns a 422 validation body into a clear 400', async () => {
    simulator.fail({ kind: 'status', status: 429, headers: { 'retry-after': '7' }, body: { object: 'error', message: 'Requests rate limit exceeded', type: 'rate_limited', param: null, code: '1300' } });
    await assert.rejects(client.chat.completions.create({ model: 'small', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.headers.get('retry-after'), '7');
      assert.match(error.message, /Requests rate limit exceeded/);
      return true;
    });
    simulator.fail({ kind: 'status', status: 422, body: { detail: [{ type: 'extra_forbidden', loc: ['body', 'foo'], msg: 'Extra inputs are not permitted', input: 1 }] } });
    await assert.rejects(client.chat.completions.create({ model: 'small', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.match(error.message, /body\.foo: Extra inputs are not permitted/);
      return true;
    });
  });

  it('refuses what Mistral cannot honour with a 400 before calling it', async () => {
    const before = simulator.requests.length;
    await assert.rejects(client.chat.completions.create({ model: 'small', n: 2, messages: [{ role: 'user', content: 'hi' }] }), OpenAI.BadRequestError);
    await assert.rejects(client.chat.completions.create({ model: 'small', temperature: 1.9, messages: [{ role: 'user', content: 'hi' }] }), OpenAI.BadRequestError);
    assert.equal(simulator.requests.length, before);
  });

  it('reaches the SDK as an error when the stream is cut mid-way or carries an error', async () => {
    // Each time the continuation the gateway then tries (stream resume) is refused too: nothing can finish the answer.
    simulator.fail({ kind: 'cut-stream', afterChunks: 3 });
    simulator.fail({ kind: 'status', status: 503 });
    await assertCutStreamReported(client, gateway, 'small');

    simulator.fail({ kind: 'stream-error', afterChunks: 2, message: 'Service overloaded' });
    simulator.fail({ kind: 'status', status: 503 });
    const failing = await client.chat.completions.create({ model: 'small', stream: true, messages: [{ role: 'user', content: 'another long story please' }] });
    await textBeforeStreamError(failing, /Service overloaded/);
  });
});

describe('Anthropic ingress → Mistral: a prefill is continued, not repeated', () => {
  let simulator: MistralSimulator;
  let gateway: TestGateway;
  before(async () => {
    simulator = await new MistralSimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'mis', type: 'mistral', base_url: simulator.url, api_key: simulator.apiKey, timeout_ms: 2000 }],
      models: [{ id: 'small', provider: 'mis', upstream: 'mistral-small-latest' }],
    });
  });
  after(() => closeAll(gateway, simulator));

  // Mistral's answer to `prefix: true` starts with the prefix (AssistantMessage.prefix in
  // ../shared/specs/mistral/openapi.yaml: "force the model to start its answer by the content of
  // the message"; the simulator answers so); Anthropic's continues after the caller's prefill.
  it('returns only what follows the prefill, non-streamed and streamed', async () => {
    const anthropic = anthropicClient(gateway, masterKey);
    const prefill = 'Simulated reply';
    const ask = { model: 'small', max_tokens: 100, messages: [{ role: 'user' as const, content: 'colour?' }, { role: 'assistant' as const, content: prefill }] };
    const answer = await anthropic.messages.create(ask);
    const sent = simulator.chatCalls().at(-1)!.body!.messages as Array<Record<string, unknown>>;
    assert.deepStrictEqual(sent.at(-1), { role: 'assistant', content: prefill, prefix: true });
    const text = answer.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    assert.equal(prefill + text, 'Simulated reply from mistral-small-latest: colour?');
    const streamed = await anthropic.messages.stream(ask).finalMessage();
    assert.equal(prefill + streamed.content.map((block) => (block.type === 'text' ? block.text : '')).join(''), 'Simulated reply from mistral-small-latest: colour?');
  });
});

describe('the Mistral simulator is as strict as the API', () => {
  let simulator: MistralSimulator;
  before(async () => {
    simulator = await new MistralSimulator().start();
  });
  after(() => simulator.close());

  const post = async (body: unknown, key = simulator.apiKey) => {
    const response = await fetch(`${simulator.url}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { detail?: Array<{ type: string; loc: unknown[] }>; message?: string; code?: string } };
  };
  const user = { role: 'user', content: 'hi' };

  it('refuses a wrong key, unknown fields (422 extra_forbidden), bad ids and unpaired tool messages', async () => {
    assert.equal((await post({ model: 'm', messages: [user] }, 'wrong')).status, 401);
    const extra = await post({ model: 'm', messages: [user], user: 'u1' });
    assert.equal(extra.status, 422);
    assert.deepStrictEqual([extra.body.detail?.[0]?.type, extra.body.detail?.[0]?.loc], ['extra_forbidden', ['body', 'user']]);
    const named = await post({ model: 'm', messages: [{ ...user, name: 'ann' }] });
    assert.deepStrictEqual(named.body.detail?.[0]?.loc, ['body', 'messages', 0, 'user', 'name']);
    assert.equal((await post({ model: 'm', messages: [user], temperature: 1.6 })).status, 422);
    const call = (id: string) => ({ role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'f', arguments: '{}' } }] });
    const badId = await post({ model: 'm', messages: [user, call('call_abc'), { role: 'tool', tool_call_id: 'call_abc', content: 'r' }] });
    assert.deepStrictEqual([badId.status, badId.body.code], [400, '3280']);
    const unpaired = await post({ model: 'm', messages: [user, { role: 'tool', tool_call_id: 'abcDEF123', content: 'r' }] });
    assert.deepStrictEqual([unpaired.status, unpaired.body.code], [400, '3230']);
    assert.equal((await post({ model: 'm', messages: [user, call('abcDEF123'), { role: 'tool', tool_call_id: 'abcDEF123', content: 'r' }] })).status, 200);
  });
});
