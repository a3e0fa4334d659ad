import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { AnthropicSimulator } from '../simulators/anthropic/server.ts';
import { answer as anthropicAnswer } from '../simulators/anthropic/answers.ts';
import { sseText, streamEvents } from '../simulators/anthropic/wire.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { anthropicClient } from '../helpers/anthropic-client.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';

const masterKey = 'sb-master-anthropic-ingress';
const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};
const timeTool = { name: 'get_time', input_schema: { type: 'object' as const, properties: { zone: { type: 'string' } }, required: ['zone'] } };

describe('Anthropic ingress (POST /v1/messages) driven by the official @anthropic-ai/sdk', () => {
  let openai: OpenAISimulator;
  let anthropic: AnthropicSimulator;
  let gateway: TestGateway;
  let client: Anthropic;

  before(async () => {
    openai = await new OpenAISimulator().start();
    anthropic = await new AnthropicSimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'oai', type: 'openai', base_url: openai.url, api_key: openai.apiKey },
        { id: 'ant', type: 'anthropic', base_url: anthropic.url, api_key: anthropic.apiKey },
        { id: 'sim', type: 'demo' },
      ],
      models: [
        { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6 } },
        { id: 'claude', provider: 'ant', upstream: 'claude-sim-1', pricing: { input_per_mtok: 3, output_per_mtok: 15 } },
        { id: 'demo-model', provider: 'sim', upstream: 'demo-1', pricing: { input_per_mtok: 0, output_per_mtok: 0 } },
      ],
    });
    client = anthropicClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, openai, anthropic));

  it('answers through an OpenAI-backed model, with the system prompt, stop sequences, sampling and user translated', async () => {
    // temperature and top_p are deprecated in openapi.json and gone from SDK 1.x's types, but
    // older clients still send them: they are still mapped.
    const params = {
      model: 'fast',
      max_tokens: 300,
      system: 'Be brief.',
      stop_sequences: ['END'],
      temperature: 0.2,
      top_p: 0.9,
      metadata: { user_id: 'user-1' },
      messages: [{ role: 'user', content: 'Hello there' }],
    } as Anthropic.MessageCreateParamsNonStreaming;
    const { data, response } = await client.messages.create(params).withResponse();
    assert.match(data.id, /^msg_/);
    assert.equal(data.type, 'message');
    assert.equal(data.role, 'assistant');
    assert.equal(data.model, 'gpt-4o-mini-2024-sim', 'the model as the provider reported it');
    assert.deepEqual(data.content, [{ type: 'text', text: 'Simulated reply from gpt-4o-mini: Hello there', citations: null }]);
    assert.equal(data.stop_reason, 'end_turn');
    assert.equal(data.stop_sequence, null);

    const upstream = openai.chatCalls().at(-1)!.body!;
    assert.deepEqual(upstream, {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello there' },
      ],
      max_completion_tokens: 300,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['END'],
      user: 'user-1',
    });

    assert.equal(response.headers.get('x-switchboard-model'), 'fast');
    assert.equal(response.headers.get('x-switchboard-provider'), 'oai');
    assert.equal(response.headers.get('request-id'), response.headers.get('x-request-id'));
    const row = await gateway.ledgerRow(response);
    assert.ok(row);
    assert.equal(row.endpoint, 'messages');
    assert.equal(row.status, 'ok');
    assert.equal(data.usage.input_tokens, row.inputTokens);
    assert.equal(data.usage.output_tokens, row.outputTokens);
    assert.equal(row.tokensEstimated, false);
  });

  // An outside probe: these were accepted, then left out for an OpenAI model without a trace.
  it('says which Anthropic-only settings an OpenAI model did not get, and reads the deprecated output_format', async () => {
    const answer = await rawPost(
      gateway.origin,
      '/v1/messages',
      {
        model: 'fast',
        max_tokens: 50,
        system: [{ type: 'text', text: 'Long system prompt', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'Give me a colour as JSON.' }],
        service_tier: 'auto',
        mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'example' }],
        output_format: { type: 'json_schema', schema: { type: 'object', properties: { colour: { type: 'string' } }, required: ['colour'] } },
      },
      { headers: { 'x-api-key': masterKey } },
    );
    assert.equal(answer.status, 200, answer.text);
    const upstream = openai.chatCalls().at(-1)!.body!;
    assert.deepStrictEqual(upstream.response_format, { type: 'json_schema', json_schema: { name: 'output', schema: { type: 'object', properties: { colour: { type: 'string' } }, required: ['colour'] } } });
    const row = (await gateway.ledgerRow(answer))!;
    assert.deepStrictEqual(
      row.warnings.filter((warning) => warning.type === 'dropped-setting').map((warning) => warning.setting).sort(),
      ['cache_control', 'mcp_servers', 'service_tier'],
    );
  });

  it('streams with messages.stream(): the text accumulates exactly and the final message has usage', async () => {
    const stream = client.messages.stream({ model: 'fast', max_tokens: 300, messages: [{ role: 'user', content: 'count to three please' }] });
    let text = '';
    const types: string[] = [];
    stream.on('text', (delta) => (text += delta));
    stream.on('streamEvent', (event) => types.push(event.type));
    const final = await stream.finalMessage();
    assert.equal(text, 'Simulated reply from gpt-4o-mini: count to three please');
    assert.deepEqual(final.content, [{ type: 'text', text }]);
    assert.equal(final.stop_reason, 'end_turn');
    assert.deepEqual(
      [...new Set(types)],
      ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'],
    );
    const row = (await gateway.ledger()).find((candidate) => candidate.stream && candidate.endpoint === 'messages' && candidate.status === 'ok');
    assert.ok(row);
    assert.ok(final.usage.output_tokens > 0);
    assert.equal(final.usage.input_tokens, row.inputTokens, 'message_delta carries the input tokens known only at the end');
    assert.equal(final.usage.output_tokens, row.outputTokens);
    assert.equal(row.tokensEstimated, false, "the provider's own counts, not estimates");
    assert.deepEqual(openai.chatCalls().at(-1)!.body!.stream_options, { include_usage: true });
  });

  it('streams with stream: true as Anthropic server-sent events', async () => {
    const { data: stream, response } = await client.messages
      .create({ model: 'fast', max_tokens: 300, stream: true, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(response.headers.get('x-switchboard-model'), 'fast');
    let text = '';
    let stopReason;
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      if (event.type === 'message_delta') stopReason = event.delta.stop_reason;
    }
    assert.equal(text, 'Simulated reply from gpt-4o-mini: hi');
    assert.equal(stopReason, 'end_turn');
  });

  it('round-trips a tool call with an OpenAI-backed model, the ids paired upstream', async () => {
    const question = { role: 'user' as const, content: 'Weather in Paris?' };
    const first = await client.messages.create({ model: 'fast', max_tokens: 200, tools: [weatherTool], tool_choice: { type: 'auto' }, messages: [question] });
    assert.equal(first.stop_reason, 'tool_use');
    assert.deepEqual(first.content, [{ type: 'tool_use', id: 'call_sim_0_get_weather', name: 'get_weather', input: { city: 'value-city' }, caller: { type: 'direct' } }]);
    assert.deepEqual(openai.chatCalls().at(-1)!.body!.tools, [
      { type: 'function', function: { name: 'get_weather', description: 'Current weather for a city', parameters: weatherTool.input_schema } },
    ]);

    const second = await client.messages.create({
      model: 'fast',
      max_tokens: 200,
      tools: [weatherTool],
      messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_sim_0_get_weather', content: '18C and sunny' }] }],
    });
    assert.deepEqual(second.content, [{ type: 'text', text: 'The tool call_sim_0_get_weather said: 18C and sunny', citations: null }]);
    assert.deepEqual(openai.chatCalls().at(-1)!.body!.messages, [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_sim_0_get_weather', type: 'function', function: { name: 'get_weather', arguments: '{"city":"value-city"}' } }] },
      { role: 'tool', tool_call_id: 'call_sim_0_get_weather', content: '18C and sunny' },
    ]);
  });

  it('streams parallel tool calls as consecutive tool_use blocks the SDK parses', async () => {
    const final = await client.messages.stream({ model: 'fast', max_tokens: 200, tools: [weatherTool, timeTool], messages: [{ role: 'user', content: 'Weather and time?' }] }).finalMessage();
    assert.equal(final.stop_reason, 'tool_use');
    assert.deepEqual(final.content, [
      { type: 'tool_use', id: 'call_sim_0_get_weather', name: 'get_weather', input: { city: 'value-city' } },
      { type: 'tool_use', id: 'call_sim_1_get_time', name: 'get_time', input: { zone: 'value-zone' } },
    ]);

    const single = await client.messages.create({ model: 'fast', max_tokens: 200, tools: [weatherTool, timeTool], tool_choice: { type: 'any', disable_parallel_tool_use: true }, messages: [{ role: 'user', content: 'One of them' }] });
    assert.equal(single.content.length, 1);
    const upstream = openai.chatCalls().at(-1)!.body!;
    assert.equal(upstream.tool_choice, 'required');
    assert.equal(upstream.parallel_tool_calls, false);
  });

  // An outside review: a model cut off by max_tokens in the middle of a tool call (OpenAI's
  // finish_reason "length", the arguments not valid JSON yet) was a 502 api_error, which the SDK
  // retries, each retry cut off again. Anthropic answers such a turn with stop_reason
  // "max_tokens" and the incomplete tool_use block (docs "Handling stop reasons", max_tokens);
  // the stream already did, the SDK reading the partial input_json_delta.
  it('answers a tool call cut off by max_tokens as a max_tokens stop, plain and streamed', async () => {
    const params = { model: 'fast', max_tokens: 4, tools: [weatherTool, timeTool], messages: [{ role: 'user' as const, content: 'Weather and time?' }] };
    const plain = await client.messages.create(params);
    assert.equal(plain.stop_reason, 'max_tokens');
    assert.deepEqual(plain.content, [{ type: 'tool_use', id: 'call_sim_0_get_weather', name: 'get_weather', input: {}, caller: { type: 'direct' } }]);
    const streamed = await client.messages.stream(params).finalMessage();
    assert.equal(streamed.stop_reason, 'max_tokens');
    assert.deepEqual(streamed.content.map((block) => block.type), ['tool_use']);
  });

  it('sends image blocks (base64 and url) to OpenAI as image_url parts', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    await client.messages.create({
      model: 'fast',
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these images?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    });
    assert.deepEqual(openai.chatCalls().at(-1)!.body!.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these images?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
  });

  it('takes role "system" messages (API version 2026-10-21) and sends them as system messages', async () => {
    const answer = await client.messages.create({
      model: 'fast',
      max_tokens: 50,
      messages: [{ role: 'system', content: 'Answer in French.' }, { role: 'user', content: 'Bonjour?' }],
    });
    assert.equal(answer.content[0]?.type === 'text' && answer.content[0].text, 'Simulated reply from gpt-4o-mini: Bonjour?');
    assert.deepEqual(openai.chatCalls().at(-1)?.body?.messages, [
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: 'Bonjour?' },
    ]);
  });

  it("forwards the caller's anthropic-version with a passed-through body", async () => {
    await client.messages.create({ model: 'claude', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'anthropic-version': '2026-10-21' } });
    assert.equal(anthropic.messageCalls().at(-1)?.headers['anthropic-version'], '2026-10-21');
    await client.messages.create({ model: 'fast', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(openai.chatCalls().at(-1)?.headers['anthropic-version'], undefined, 'Anthropic headers are not sent to other providers');
  });

  it('answers through the demo provider, plain and streamed', async () => {
    const message = await client.messages.create({ model: 'demo-model', max_tokens: 100, messages: [{ role: 'user', content: 'ping' }] });
    const text = message.content[0]?.type === 'text' ? message.content[0].text : '';
    assert.match(text, /simulated answer from Switchboard's demo provider \(model demo-1\).*You said: "ping"/);
    const streamed = await client.messages.stream({ model: 'demo-model', max_tokens: 100, messages: [{ role: 'user', content: 'ping' }] }).finalMessage();
    // A streamed text block starts without `citations` (sdk-messages-stream-text.sse), so the
    // SDK's final message has none, where a plain message has it null (openapi.json).
    assert.deepEqual(streamed.content, message.content.map((block) => (block.type === 'text' ? { type: 'text', text: block.text } : block)));
  });

  it('accepts the key in x-api-key, from the SDK and from a plain HTTP client', async () => {
    const headerClient = new Anthropic({ baseURL: gateway.origin, apiKey: null, defaultHeaders: { 'x-api-key': masterKey }, maxRetries: 0 });
    const message = await headerClient.messages.create({ model: 'fast', max_tokens: 50, messages: [{ role: 'user', content: 'via x-api-key' }] });
    assert.equal(message.type, 'message');
    const response = await rawPost<{ type: string }>(gateway.origin, '/v1/messages', { model: 'fast', max_tokens: 50, messages: [{ role: 'user', content: 'raw' }] }, {
      headers: { 'x-api-key': masterKey, 'anthropic-version': '2023-06-01' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.type, 'message');
  });

  it('counts tokens without calling a provider', async () => {
    const before = openai.requests.length;
    const counted = await client.messages.countTokens({ model: 'fast', system: 'Be brief.', messages: [{ role: 'user', content: 'How many tokens is this?' }] });
    assert.ok(counted.input_tokens > 5);
    assert.equal(openai.requests.length, before);
  });

  describe('passthrough to an Anthropic-backed model', () => {
    const body = {
      model: 'claude',
      max_tokens: 200,
      system: [{ type: 'text' as const, text: 'Be brief.', cache_control: { type: 'ephemeral' as const } }],
      messages: [{ role: 'user' as const, content: 'Hello Claude' }],
      stop_sequences: ['NEVER'],
      metadata: { user_id: 'user-7' },
      service_tier: 'auto' as const,
    };

    it("sends the caller's body with only the model replaced, and returns the provider's message as it is", async () => {
      const { data, response } = await client.messages.create(body).withResponse();
      const upstream = anthropic.messageCalls().at(-1)!;
      assert.deepEqual(upstream.body, { ...body, model: 'claude-sim-1' });
      assert.equal(upstream.headers['x-api-key'], anthropic.apiKey);
      assert.match(data.id, /^msg_sim/);
      assert.equal(data.model, 'claude-sim-1');
      assert.deepEqual(data.content, [{ type: 'text', text: 'Simulated reply from claude-sim-1: Hello Claude' }]);
      assert.equal((data.usage as unknown as { service_tier?: string }).service_tier, 'standard', "fields Switchboard does not model come from the provider's body");
      assert.equal(response.headers.get('x-switchboard-provider'), 'ant');
    });

    it("writes the provider's events through unchanged", async () => {
      const streamed = { ...body, stream: true };
      const response = await rawPost(gateway.origin, '/v1/messages', streamed, { headers: { 'x-api-key': masterKey } });
      const text = response.text;
      const upstream = anthropic.messageCalls().at(-1)!;
      assert.deepEqual(upstream.body, { ...streamed, model: 'claude-sim-1' });
      const id = /"id":"(msg_sim\d+)"/.exec(text)?.[1];
      assert.ok(id, text);
      const expected = streamEvents(id, 'claude-sim-1', anthropicAnswer(upstream.body!), { read: 0, write: 0 }).map(sseText).join('');
      assert.equal(text, expected);
      const row = await gateway.ledgerRow(response);
      assert.equal(row?.status, 'ok');
      assert.equal(row?.tokensEstimated, false);
    });

    it("lifts role \"system\" messages into the top-level system, after the caller's own and in order, and records a moved one", async () => {
      const { data, response } = await client.messages
        .create({
          model: 'claude',
          max_tokens: 50,
          system: 'Be terse.',
          messages: [
            { role: 'system', content: 'Answer in French.' },
            { role: 'user', content: 'Bonjour?' },
            { role: 'assistant', content: 'Oui.' },
            { role: 'system', content: [{ type: 'text', text: 'Now in English.', cache_control: { type: 'ephemeral' } }] },
            { role: 'user', content: 'Hello?' },
          ],
        })
        .withResponse();
      assert.deepEqual(anthropic.messageCalls().at(-1)!.body, {
        model: 'claude-sim-1',
        max_tokens: 50,
        system: [
          { type: 'text', text: 'Be terse.' },
          { type: 'text', text: 'Answer in French.' },
          { type: 'text', text: 'Now in English.', cache_control: { type: 'ephemeral' } },
        ],
        messages: [
          { role: 'user', content: 'Bonjour?' },
          { role: 'assistant', content: 'Oui.' },
          { role: 'user', content: 'Hello?' },
        ],
      });
      assert.deepEqual(data.content, [{ type: 'text', text: 'Simulated reply from claude-sim-1: Hello?' }]);
      const row = await gateway.ledgerRow(response);
      assert.equal(row?.status, 'ok');
      assert.deepEqual(
        row?.warnings.map((warning) => [warning.type, warning.setting]),
        [['other', 'messages[3]']],
      );
      assert.match(row!.warnings[0]!.message, /system message at messages\[3\] was moved into the top-level system prompt/);
    });

    it('streams a request whose only system prompt is a role "system" message, as @anthropic-ai/sdk 1.x sends it', async () => {
      const stream = client.messages.stream({ model: 'claude', max_tokens: 10, messages: [{ role: 'system', content: 'Be terse' }, { role: 'user', content: 'hi' }] });
      const final = await stream.finalMessage();
      assert.deepEqual(final.content, [{ type: 'text', text: 'Simulated reply from claude-sim-1: hi' }]);
      assert.deepEqual(anthropic.messageCalls().at(-1)!.body, {
        model: 'claude-sim-1',
        max_tokens: 10,
        system: 'Be terse',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      const response = await stream.withResponse();
      const row = await gateway.ledgerRow(response.response);
      assert.equal(row?.status, 'ok');
      assert.deepEqual(row?.warnings, [], 'a leading system message keeps its meaning: nothing to report');
    });

    it('streams through messages.stream() with thinking and a tool call', async () => {
      const final = await client.messages
        .stream({ model: 'claude', max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 1024 }, tools: [weatherTool], messages: [{ role: 'user', content: 'Weather in Oslo?' }] })
        .finalMessage();
      assert.deepEqual(
        final.content.map((block) => block.type),
        ['thinking', 'tool_use'],
      );
      assert.deepEqual(final.content[1], { type: 'tool_use', id: 'toolu_sim_0_get_weather', name: 'get_weather', input: { city: 'value-city' } });
    });
  });
});
