import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { collectStream, onlyToolCall, openaiClient } from '../helpers/openai-client.ts';
import { rawPost } from '../helpers/http.ts';

const masterKey = 'sb-master-test-key';

describe('OpenAI ingress through an OpenAI provider (official openai SDK)', () => {
  let simulator: OpenAISimulator;
  let compatible: OpenAISimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    simulator = await new OpenAISimulator().start();
    compatible = await new OpenAISimulator({ apiKey: 'vllm-key', acceptUnknownFields: true, models: ['qwen'] }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey },
        { id: 'vllm', type: 'openai-compatible', base_url: compatible.url, api_key: 'vllm-key' },
      ],
      models: [
        { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6 } },
        { id: 'embed', provider: 'oai', upstream: 'text-embedding-3-small', pricing: { input_per_mtok: 0.02, output_per_mtok: 0 } },
        { id: 'local', provider: 'vllm', upstream: 'qwen', pricing: { input_per_mtok: 0, output_per_mtok: 0 } },
      ],
      routes: [{ id: 'auto', strategy: 'ordered', candidates: ['fast'] }],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, simulator, compatible));

  it('lists models and routes', async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    // Model and route ids first, then the `oai/<model>` addresses of the OpenAI provider's catalog
    // models (the openai-compatible one has none).
    assert.deepEqual(ids.slice(0, 4).sort(), ['auto', 'embed', 'fast', 'local']);
    assert.ok(ids.includes('oai/gpt-4o-mini') && ids.slice(4).every((id) => id.startsWith('oai/')), ids.join(', '));
  });

  it('sends back a reasoning answer in the history: dropped for OpenAI (which refuses it) with a warning, relayed to a compatible server', async () => {
    const messages = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hello.', reasoning_content: 'A greeting.' },
      { role: 'user', content: 'again' },
    ] as OpenAI.ChatCompletionMessageParam[];
    const { response } = await client.chat.completions.create({ model: 'fast', messages }).withResponse();
    assert.equal(response.status, 200);
    assert.equal('reasoning_content' in (simulator.chatCalls().at(-1)!.body!.messages as Array<Record<string, unknown>>)[1]!, false);
    const row = await gateway.ledgerRow(response);
    assert.deepEqual(row?.warnings.map((warning) => warning.setting), ['reasoning_content']);
    await client.chat.completions.create({ model: 'local', messages });
    assert.equal((compatible.chatCalls().at(-1)!.body!.messages as Array<Record<string, unknown>>)[1]!.reasoning_content, 'A greeting.');
  });

  it('answers a chat with the provider key injected, headers set and cost from the configured prices', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'fast', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }], temperature: 0.2, seed: 7, user: 'u1' })
      .withResponse();
    assert.equal(data.choices[0]?.message.content, 'Simulated reply from gpt-4o-mini: Hello there');
    assert.equal(data.model, 'gpt-4o-mini-2024-sim', 'the body names the model as the provider reported it');
    const upstream = simulator.chatCalls().at(-1)!;
    assert.equal(upstream.headers.authorization, `Bearer ${simulator.apiKey}`);
    assert.equal(upstream.body?.model, 'gpt-4o-mini');
    assert.equal(upstream.body?.temperature, 0.2);
    assert.equal(upstream.body?.seed, 7);
    assert.equal(upstream.body?.user, 'u1');
    assert.match(response.headers.get('x-request-id') ?? '', /^req_[0-9a-f]{32}$/);
    assert.equal(response.headers.get('x-switchboard-model'), 'fast');
    assert.equal(response.headers.get('x-switchboard-provider'), 'oai');
    assert.equal(response.headers.get('x-switchboard-route'), 'none');
    assert.equal(response.headers.get('x-switchboard-attempts'), '1');
    const usage = data.usage!;
    const expected = (usage.prompt_tokens * 0.15 + usage.completion_tokens * 0.6) / 1e6;
    assert.ok(Math.abs(Number(response.headers.get('x-switchboard-cost-usd')) - expected) < 1e-8);
    const row = await gateway.ledgerRow(response);
    assert.ok(row, 'the request is in the ledger under its id');
    assert.equal(row.status, 'ok');
    assert.equal(row.inputTokens, usage.prompt_tokens);
    assert.equal(row.outputTokens, usage.completion_tokens);
    assert.equal(row.tokensEstimated, false);
  });

  it('names the route in the headers when a route answered', async () => {
    const { response } = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal(response.headers.get('x-switchboard-route'), 'auto');
    assert.equal(response.headers.get('x-switchboard-model'), 'fast');
  });

  it('streams chunk by chunk with the final usage chunk when asked', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'fast', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'count to three' }] })
      .withResponse();
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(response.headers.get('x-switchboard-provider'), 'oai');
    const { text, finish, usage } = await collectStream(stream);
    assert.equal(text, 'Simulated reply from gpt-4o-mini: count to three');
    assert.equal(finish, 'stop');
    assert.ok(usage && usage.completion_tokens > 0);
  });

  it('does not relay the usage chunk it asked for itself, but still records the provider usage', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'fast', stream: true, messages: [{ role: 'user', content: 'no usage please' }] })
      .withResponse();
    const { usage } = await collectStream(stream);
    assert.equal(usage, undefined, 'the usage chunk the gateway asked for itself was relayed');
    const upstream = simulator.chatCalls().at(-1)!;
    assert.deepEqual(upstream.body?.stream_options, { include_usage: true });
    const row = (await gateway.ledgerRow(response))!;
    assert.equal(row.tokensEstimated, false);
    assert.ok(row.outputTokens > 0);
    assert.ok(row.ttftMs !== null);
  });

  it('round-trips a tool call, non-streamed and streamed, keeping the ids paired', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
    const first = await client.chat.completions.create({ model: 'fast', tools, tool_choice: 'auto', messages: [{ role: 'user', content: 'weather in Paris?' }] });
    const call = first.choices[0]!.message.tool_calls![0]!;
    assert.equal(first.choices[0]!.finish_reason, 'tool_calls');
    assert.equal(call.type === 'function' && call.function.name, 'get_weather');
    assert.deepEqual(call.type === 'function' && JSON.parse(call.function.arguments), { city: 'value-city' });

    const streamed = await collectStream(await client.chat.completions.create({ model: 'fast', tools, stream: true, messages: [{ role: 'user', content: 'weather in Paris?' }] }));
    const { id, name, args } = onlyToolCall(streamed);
    assert.equal(id, call.id);
    assert.equal(name, 'get_weather');
    assert.deepEqual(JSON.parse(args), { city: 'value-city' });
    assert.equal(streamed.finish, 'tool_calls');

    const second = await client.chat.completions.create({
      model: 'fast',
      tools,
      messages: [
        { role: 'user', content: 'weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '18C and sunny' },
      ],
    });
    assert.equal(second.choices[0]!.message.content, `The tool ${call.id} said: 18C and sunny`);
  });

  it('reaches any model of a configured provider as <provider>/<model>', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'oai/gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal(data.choices[0]?.message.content, 'Simulated reply from gpt-4.1-nano: hi');
    assert.equal(response.headers.get('x-switchboard-model'), 'oai/gpt-4.1-nano');
    assert.equal(simulator.chatCalls().at(-1)?.body?.model, 'gpt-4.1-nano');
  });

  it('relays fields it does not model to OpenAI-style providers unchanged, and never forwards routing hints', async () => {
    await client.chat.completions.create({
      model: 'local',
      messages: [{ role: 'user', content: 'hi' }],
      // @ts-expect-error vLLM's own sampling fields and Switchboard's routing hints
      repetition_penalty: 1.1,
      guided_json: { type: 'object' },
      metadata: { task: 'code' },
      models: ['fast'],
      provider: { sort: 'price' },
    });
    const upstream = compatible.chatCalls().at(-1)!;
    assert.equal(upstream.body?.repetition_penalty, 1.1);
    assert.deepEqual(upstream.body?.guided_json, { type: 'object' });
    assert.equal('metadata' in upstream.body!, false);
    assert.equal('models' in upstream.body!, false);
    assert.equal('provider' in upstream.body!, false);
  });

  it('relays the caller’s bytes to an OpenAI-style provider: numbers keep their digits, only model and the routing hints change', async () => {
    // What JSON.parse and JSON.stringify would change: 1.0 → 1, an integer past 2^53 rounded, \u escapes decoded.
    const text = '{ "model": "local", "messages": [{"role": "user", "content": "caf\\u00e9 \\"quoted\\""}], "temperature": 1.0, "guided_json": {"maximum": 12345678901234567891}, "metadata": {"task": "code"}, "stream": false }';
    for (const stream of [false, true]) {
      const sent = stream ? text.replace('"stream": false', '"stream": true, "stream_options": {"include_usage": true}') : text;
      const answer = await rawPost(gateway.origin, '/v1/chat/completions', sent, { key: masterKey });
      assert.equal(answer.status, 200, answer.text);
      const upstream = compatible.chatCalls().at(-1)!;
      const expected = sent.replace('"model": "local"', '"model":"qwen"').replace(', "metadata": {"task": "code"}', '');
      assert.equal(upstream.text.replace(/\s/g, ''), expected.replace(/\s/g, ''), upstream.text);
      assert.match(upstream.text, /"temperature": 1\.0,\s*"guided_json": \{"maximum": 12345678901234567891\}/);
      assert.match(upstream.text, /caf\\u00e9/);
    }
  });

  it('relays the bytes a streamed request sends, adding stream_options.include_usage for the ledger when the caller did not', async () => {
    const text = '{"model":"local","stream":true,"messages":[{"role":"user","content":"hi"}],"top_p":1.0}';
    const answer = await rawPost(gateway.origin, '/v1/chat/completions', text, { key: masterKey });
    assert.equal(answer.status, 200);
    assert.doesNotMatch(answer.text, /"usage":\{/, 'the usage chunk the caller did not ask for is not relayed');
    const upstream = compatible.chatCalls().at(-1)!;
    assert.equal(upstream.text, '{"model":"qwen","stream":true,"messages":[{"role":"user","content":"hi"}],"top_p":1.0,"stream_options":{"include_usage":true}}');
    const row = await gateway.ledgerRow(answer);
    assert.ok((row?.outputTokens ?? 0) > 0, 'the provider reported usage to the ledger');
  });

  it('relays a body holding invalid UTF-8 as it was parsed (U+FFFD), not as its bytes', async () => {
    const head = Buffer.from('{"model":"local","messages":[{"role":"user","content":"caf');
    const body = Buffer.concat([head, Buffer.from([0xe9]), Buffer.from('"}]}')]);
    const response = await fetch(`${gateway.origin}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' }, body });
    assert.equal(response.status, 200, await response.text());
    const upstream = compatible.chatCalls().at(-1)!;
    assert.equal((upstream.body!.messages as Array<{ content: string }>)[0]!.content, 'caf\ufffd');
    assert.ok(upstream.raw.includes(Buffer.from('caf\ufffd')), 'the provider got U+FFFD, not the invalid byte');
  });

  it('carries a large prompt in Cyrillic, Chinese and emoji to the provider and its echo back, character for character', async () => {
    // Past 4 KB, a body that is not ASCII is decoded outside V8 on Node before 24 (src/text/utf8.ts).
    const prompt = `Привет, мир! 你好，世界！ 😀 — “quoted” ${'Быстрая бурая лиса прыгает через ленивую собаку. 快速的棕色狐狸跳过了懒狗。 '.repeat(150)}`;
    assert.ok(Buffer.byteLength(prompt) > 16_000);
    for (const model of ['fast', 'local']) {
      const completion = await client.chat.completions.create({ model, messages: [{ role: 'user', content: prompt }] });
      const calls = model === 'fast' ? simulator.chatCalls() : compatible.chatCalls();
      assert.equal((calls.at(-1)!.body!.messages as Array<{ content: string }>)[0]!.content, prompt, model);
      assert.equal(completion.choices[0]!.message.content, `Simulated reply from ${model === 'fast' ? 'gpt-4o-mini' : 'qwen'}: ${prompt}`, model);
    }
  });

  it('relays a large body holding invalid UTF-8 as it was parsed (U+FFFD), as a small one', async () => {
    const text = 'Привет, мир. '.repeat(500);
    const body = Buffer.concat([Buffer.from(`{"model":"local","messages":[{"role":"user","content":"${text}`), Buffer.from([0xd0]), Buffer.from('"}]}')]);
    const response = await fetch(`${gateway.origin}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' }, body });
    assert.equal(response.status, 200, await response.text());
    assert.equal((compatible.chatCalls().at(-1)!.body!.messages as Array<{ content: string }>)[0]!.content, `${text}\ufffd`);
  });

  it('creates embeddings', async () => {
    const { data, response } = await client.embeddings.create({ model: 'embed', input: ['one', 'three'], dimensions: 4 }).withResponse();
    assert.equal(data.data.length, 2);
    assert.equal(data.data[1]!.embedding.length, 4);
    assert.equal(response.headers.get('x-switchboard-model'), 'embed');
    assert.ok(Number(response.headers.get('x-switchboard-cost-usd')) > 0);
  });

  it('keeps the provider key out of responses, logs and metrics', async () => {
    const metrics = await fetch(`${gateway.origin}/metrics`).then((response) => response.text());
    assert.match(metrics, /switchboard_requests_total\{[^}]*model="fast"[^}]*provider="oai"/);
    assert.match(metrics, /switchboard_request_duration_seconds_bucket/);
    assert.match(metrics, /switchboard_tokens_total\{model="fast",provider="oai",direction="output"\}/);
    for (const secret of [simulator.apiKey, 'vllm-key', masterKey]) {
      assert.equal(gateway.logs.some((line) => line.includes(secret)), false, `a log line holds ${secret}`);
      assert.equal(metrics.includes(secret), false);
    }
    const rows = JSON.stringify(await gateway.ledger());
    assert.equal(rows.includes(simulator.apiKey), false);
  });
});
