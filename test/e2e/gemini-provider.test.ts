import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { GeminiSimulator } from '../simulators/gemini/server.ts';
import { anthropicClient, thinkingWeatherConversation } from '../helpers/anthropic-client.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { assertCutStreamReported, collectStream, onlyToolCall, openaiClient, textBeforeStreamError } from '../helpers/openai-client.ts';

const masterKey = 'sb-master-gemini-key';
const pixel = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const weatherTool = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

describe('OpenAI ingress through the Gemini provider (official openai SDK)', () => {
  let simulator: GeminiSimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    simulator = await new GeminiSimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'gem', type: 'gemini', base_url: simulator.url, api_key: simulator.apiKey, timeout_ms: 2000 },
        { id: 'gem-badkey', type: 'gemini', base_url: simulator.url, api_key: 'AIza-wrong-key-for-upstream' },
      ],
      models: [
        { id: 'flash', provider: 'gem', upstream: 'gemini-2.5-flash', pricing: { input_per_mtok: 0.3, output_per_mtok: 2.5 } },
        { id: 'embed', provider: 'gem', upstream: 'gemini-embedding-001', pricing: { input_per_mtok: 0.15, output_per_mtok: 0 } },
        { id: 'missing', provider: 'gem', upstream: 'gemini-5.0-flash' },
        { id: 'misconfigured', provider: 'gem-badkey', upstream: 'gemini-2.5-flash' },
      ],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, simulator));

  it('answers a chat, with the key in x-goog-api-key only and Gemini usage recorded', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'flash', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }], temperature: 0.2, max_tokens: 200 })
      .withResponse();
    assert.equal(data.choices[0]?.message.content, 'Simulated reply from gemini-2.5-flash: Hello there');
    assert.equal(data.choices[0]?.finish_reason, 'stop');
    assert.equal(data.model, 'gemini-2.5-flash');
    const upstream = simulator.chatCalls().at(-1)!;
    assert.equal(upstream.path, '/v1beta/models/gemini-2.5-flash:generateContent');
    assert.equal(upstream.query, '', 'no key (or anything else) in the URL');
    assert.equal(upstream.headers['x-goog-api-key'], simulator.apiKey);
    assert.equal(upstream.headers.authorization, undefined);
    assert.deepEqual(upstream.body?.systemInstruction, { parts: [{ text: 'Be brief.' }] });
    assert.deepEqual(upstream.body?.generationConfig, { maxOutputTokens: 200, temperature: 0.2 });
    const row = (await gateway.ledgerRow(response))!;
    assert.equal(row.provider, 'gem');
    assert.equal(row.tokensEstimated, false);
    assert.equal(row.inputTokens, data.usage?.prompt_tokens);
    assert.equal(row.outputTokens, data.usage?.completion_tokens);
  });

  it('says on the row that prompt-caching breakpoints were not sent (Gemini has no per-request breakpoint), and answers', async () => {
    const messages = [{ role: 'user', content: [{ type: 'text', text: 'A long document.', prompt_cache_breakpoint: { mode: 'explicit' } }] }] as unknown as OpenAI.ChatCompletionMessageParam[];
    const { data, response } = await client.chat.completions.create({ model: 'flash', messages }).withResponse();
    assert.equal(data.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(simulator.chatCalls().at(-1)!.body?.contents, [{ role: 'user', parts: [{ text: 'A long document.' }] }]);
    const row = (await gateway.ledgerRow(response))!;
    assert.deepStrictEqual(row.warnings.map((warning) => warning.setting), ['prompt_cache_breakpoint']);
  });

  it('streams over alt=sse with the final usage chunk', async () => {
    const stream = await client.chat.completions.create({ model: 'flash', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'count to three please' }] });
    const { text, finish, usage } = await collectStream(stream);
    assert.equal(text, 'Simulated reply from gemini-2.5-flash: count to three please');
    assert.equal(finish, 'stop');
    assert.ok(usage && usage.prompt_tokens > 0 && usage.completion_tokens > 0);
    const upstream = simulator.chatCalls().at(-1)!;
    assert.equal(`${upstream.path}${upstream.query}`, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  });

  it('round-trips a streamed tool call: ids pair, the thought signature returns, the function name is recovered', async () => {
    const question = { role: 'user' as const, content: 'weather in Paris?' };
    const streamed = await collectStream(await client.chat.completions.create({ model: 'flash', tools: [weatherTool], stream: true, messages: [question] }));
    const { id, name, args } = onlyToolCall(streamed);
    assert.equal(name, 'get_weather');
    assert.deepEqual(JSON.parse(args), { city: 'value-city' });
    assert.equal(streamed.finish, 'tool_calls');
    assert.match(id, /^call_[0-9a-f]{24}__thought__/, 'Gemini gave no id: one is made, carrying the signature');

    const second = await client.chat.completions.create({
      model: 'flash',
      tools: [weatherTool],
      messages: [question, { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name, arguments: args } }] }, { role: 'tool', tool_call_id: id, content: '18C and sunny' }],
    });
    assert.equal(second.choices[0]?.message.content, 'The tool get_weather said: 18C and sunny');
    const contents = simulator.chatCalls().at(-1)!.body?.contents as Array<{ role: string; parts: Array<Record<string, unknown>> }>;
    assert.deepEqual(contents.map((content) => content.role), ['user', 'model', 'user']);
    assert.match(String(contents[1]!.parts[0]!.thoughtSignature), /^[A-Za-z0-9+/]+=*$/);
    assert.notEqual(contents[1]!.parts[0]!.thoughtSignature, 'skip_thought_signature_validator', 'the real signature came back');
    assert.deepEqual(contents[2]!.parts, [{ functionResponse: { name: 'get_weather', response: { output: '18C and sunny' } } }]);
  });

  it('pairs parallel calls, non-streamed, with both results in one user turn', async () => {
    const tools = [weatherTool, { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: {} } } }];
    const first = await client.chat.completions.create({ model: 'flash', tools, messages: [{ role: 'user', content: 'weather and time?' }] });
    const calls = first.choices[0]!.message.tool_calls!.filter((call) => call.type === 'function');
    assert.deepEqual(calls.map((call) => call.function.name), ['get_weather', 'get_time']);
    assert.equal(new Set(calls.map((call) => call.id)).size, 2);
    const second = await client.chat.completions.create({
      model: 'flash',
      tools,
      messages: [
        { role: 'user', content: 'weather and time?' },
        first.choices[0]!.message,
        ...calls.map((call) => ({ role: 'tool' as const, tool_call_id: call.id, content: `result of ${call.function.name}` })),
      ],
    });
    assert.equal(second.choices[0]?.message.content, 'The tool get_weather said: result of get_weather; The tool get_time said: result of get_time');
  });

  it('round-trips thinking and a tool call through the Anthropic ingress (official @anthropic-ai/sdk)', async () => {
    const conversation = thinkingWeatherConversation(anthropicClient(gateway, masterKey), 'flash');
    const first = await conversation.ask();
    assert.deepEqual(first.content.map((block) => block.type), ['thinking', 'tool_use']);
    assert.equal(first.stop_reason, 'tool_use');
    const toolUse = first.content[1]!;
    assert.ok(toolUse.type === 'tool_use');
    assert.match(toolUse.id, /^[a-zA-Z0-9_-]+$/, 'the id (signature included) fits Anthropic\'s id pattern');
    const second = await conversation.answer(first, toolUse.id, '-3C and snow');
    assert.deepEqual(second.content.filter((block) => block.type === 'text').map((block) => block.type === 'text' && block.text), ['The tool get_weather said: -3C and snow']);
    const contents = simulator.chatCalls().at(-1)!.body?.contents as Array<{ parts: Array<Record<string, unknown>> }>;
    assert.equal(contents[1]!.parts[0]!.thought, true);
    assert.match(String(contents[1]!.parts[1]!.thoughtSignature), /^[A-Za-z0-9+/]+=*$/);
    assert.deepEqual((simulator.chatCalls().at(-1)!.body?.generationConfig as Record<string, unknown>).thinkingConfig, { thinkingBudget: 1024, includeThoughts: true });
  });

  it('sends image parts as inlineData and json_schema as responseJsonSchema', async () => {
    const image = await client.chat.completions.create({
      model: 'flash',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${pixel}` } }] }],
    });
    assert.equal(image.choices[0]?.message.content, 'Simulated reply from gemini-2.5-flash: What is this? [image/png]');
    const parts = (simulator.chatCalls().at(-1)!.body?.contents as Array<{ parts: unknown[] }>)[0]!.parts;
    assert.deepEqual(parts, [{ text: 'What is this?' }, { inlineData: { mimeType: 'image/png', data: pixel } }]);

    const schema = { type: 'object', properties: { city: { type: 'string' }, population: { type: 'integer' } }, required: ['city', 'population'], additionalProperties: false };
    const structured = await client.chat.completions.create({
      model: 'flash',
      messages: [{ role: 'user', content: 'Largest city?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema, strict: true } },
    });
    assert.deepEqual(JSON.parse(structured.choices[0]!.message.content!), { city: 'value-city', population: 1 });
    assert.deepEqual(simulator.chatCalls().at(-1)!.body?.generationConfig, { responseMimeType: 'application/json', responseJsonSchema: schema });
  });

  it('returns thought summaries as reasoning_content when reasoning is asked for', async () => {
    const { data } = await client.chat.completions.create({ model: 'flash', reasoning_effort: 'low', messages: [{ role: 'user', content: 'think first' }] }).withResponse();
    assert.match(String((data.choices[0]!.message as { reasoning_content?: string }).reasoning_content), /Thinking/);
    assert.ok((data.usage?.completion_tokens_details?.reasoning_tokens ?? 0) > 0);
    assert.deepEqual((simulator.chatCalls().at(-1)!.body?.generationConfig as Record<string, unknown>).thinkingConfig, { thinkingBudget: 1024, includeThoughts: true });
  });

  it('creates embeddings through batchEmbedContents, counting the usage itself', async () => {
    const { data, response } = await client.embeddings.create({ model: 'embed', input: ['one', 'three'], dimensions: 4 }).withResponse();
    assert.equal(data.data.length, 2);
    assert.equal(data.data[1]!.embedding.length, 4);
    const upstream = simulator.requests.at(-1)!;
    assert.equal(upstream.path, '/v1beta/models/gemini-embedding-001:batchEmbedContents');
    assert.deepEqual((upstream.body?.requests as unknown[])[0], { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'one' }] }, outputDimensionality: 4 });
    const row = (await gateway.ledgerRow(response))!;
    assert.equal(row.tokensEstimated, true);
    // Gemini reports no usage: the answer gives the count the ledger row bills.
    assert.deepEqual([data.usage.prompt_tokens, data.usage.total_tokens], [row.inputTokens, row.inputTokens]);
    assert.ok(row.inputTokens > 0);
  });

  it('splits more than 100 inputs into batches of 100 (the API refuses more), vectors in input order', async () => {
    const input = Array.from({ length: 150 }, (_, index) => 'y'.repeat(index + 1));
    const before = simulator.requests.length;
    const { data, response } = await client.embeddings.create({ model: 'embed', input, encoding_format: 'float' }).withResponse();
    const calls = simulator.requests.slice(before);
    assert.deepStrictEqual(calls.map((call) => (call.body?.requests as unknown[]).length), [100, 50]);
    assert.deepStrictEqual(data.data.map((item) => item.index), input.map((_, index) => index));
    // The simulator's vector starts at (text length % 10) / 10.
    data.data.forEach((item, index) => assert.equal(item.embedding[0], ((index + 1) % 10) / 10));
    const row = (await gateway.ledgerRow(response))!;
    assert.equal(row.status, 'ok');
    assert.equal(data.usage.prompt_tokens, row.inputTokens, 'the answer reports the tokens the ledger counted');
  });

  it('warns on the ledger row of an OpenAI field Gemini has no equivalent for (user)', async () => {
    const { response } = await client.embeddings.create({ model: 'embed', input: 'one', user: 'u-1' }).withResponse();
    const row = (await gateway.ledgerRow(response))!;
    assert.deepStrictEqual(row.warnings.map((warning) => warning.setting), ['user']);
  });

  it('keeps a 429 with the retry delay Gemini states in RetryInfo', async () => {
    simulator.fail({ kind: 'status', status: 429, body: { error: { code: 429, message: 'You exceeded your current quota.', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' }] } } });
    await assert.rejects(client.chat.completions.create({ model: 'flash', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.headers.get('retry-after'), '30');
      assert.match(error.message, /exceeded your current quota/);
      return true;
    });
  });

  it('maps a rejected key (400 API_KEY_INVALID) and a 401 to 502s that do not blame the caller or echo the key', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'misconfigured', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 502);
      assert.match(error.message, /API key not valid/);
      assert.equal(JSON.stringify(error.error).includes('AIza-wrong-key-for-upstream'), false);
      return true;
    });
    simulator.fail({ kind: 'status', status: 401, body: { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } } });
    await assert.rejects(client.chat.completions.create({ model: 'flash', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => error instanceof OpenAI.APIError && error.status === 502);
    assert.equal(gateway.logs.some((line) => line.includes(simulator.apiKey) || line.includes('AIza-wrong-key-for-upstream')), false, 'a log line holds a key');
  });

  it('maps 5xx, an unknown upstream model and a hang to retryable gateway errors', async () => {
    simulator.fail({ kind: 'status', status: 503, body: { error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } } });
    await assert.rejects(client.chat.completions.create({ model: 'flash', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => error instanceof OpenAI.APIError && error.status === 503 && /overloaded/.test(error.message));
    simulator.fail({ kind: 'status', status: 500 });
    await assert.rejects(client.chat.completions.create({ model: 'flash', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => error instanceof OpenAI.APIError && error.status === 502);
    await assert.rejects(client.chat.completions.create({ model: 'missing', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => error instanceof OpenAI.APIError && error.status === 502 && /is not found for API version v1beta/.test(error.message));
    simulator.fail({ kind: 'hang' });
    await assert.rejects(client.chat.completions.create({ model: 'flash', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => error instanceof OpenAI.APIError && error.status === 504);
  });

  it('ends a stream cut mid-way, or failing in-band, with an error the SDK raises', async () => {
    simulator.fail({ kind: 'cut-stream', afterChunks: 3 });
    await assertCutStreamReported(client, gateway, 'flash');

    simulator.fail({ kind: 'stream-error', afterChunks: 2, message: 'An internal error has occurred.' });
    const failing = await client.chat.completions.create({ model: 'flash', stream: true, messages: [{ role: 'user', content: 'tell me a long story please' }] });
    await textBeforeStreamError(failing, /An internal error has occurred/);
  });
});

describe('the Gemini simulator is as strict as the API it stands for', () => {
  let simulator: GeminiSimulator;
  const post = async (path: string, body: unknown, key: string | null = simulator.apiKey) => {
    const response = await fetch(`${simulator.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'x-goog-api-key': key }) },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, error: (JSON.parse(text) as { error?: { code: number; message: string; status: string } }).error };
  };
  const generate = '/v1beta/models/gemini-2.5-flash:generateContent';
  const hello = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };

  before(async () => {
    simulator = await new GeminiSimulator().start();
  });

  after(async () => {
    await simulator.close();
  });

  it('checks the key as the recorded bodies show, and knows only the protos\' paths and the listed models', async () => {
    assert.deepEqual([(await post(generate, hello, null)).status, (await post(generate, hello, null)).error?.status], [403, 'PERMISSION_DENIED']);
    const wrong = await post(generate, hello, 'AIza-nope');
    assert.deepEqual([wrong.status, wrong.error?.status, wrong.error?.message], [400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.']);
    assert.equal((await post('/v1beta/models/gemini-2.5-flash:generate', hello)).status, 404);
    const unknown = await post('/v1beta/models/gemini-5.0-flash:generateContent', hello);
    assert.deepEqual([unknown.status, unknown.error?.status], [404, 'NOT_FOUND']);
    assert.match(unknown.error!.message, /models\/gemini-5\.0-flash is not found for API version v1beta/);
  });

  it('rejects unknown JSON names at any depth, as the proto parser does', async () => {
    const top = await post(generate, { ...hello, messages: [] });
    assert.equal(top.status, 400);
    assert.equal(top.error?.message, 'Invalid JSON payload received. Unknown name "messages": Cannot find field.');
    const deep = await post(generate, { contents: [{ role: 'user', parts: [{ text: 'hi', functionCal: {} }] }], generationConfig: { max_tokens: 5 } });
    assert.equal(
      deep.error?.message,
      'Invalid JSON payload received. Unknown name "functionCal" at \'contents[0].parts[0]\': Cannot find field.\nInvalid JSON payload received. Unknown name "max_tokens" at \'generation_config\': Cannot find field.',
    );
    assert.equal((await post(generate, { ...hello, generationConfig: { max_output_tokens: 5, responseMimeType: 'text/plain' } })).status, 200, 'proto names are accepted too');
    assert.match((await post(generate, { contents: [{ role: 'user', parts: [{ text: 'a', inlineData: { mimeType: 'image/png', data: 'AA==' } }] }] })).error!.message, /Oneof field 'data' is already set/);
  });

  it('enforces roles, function call/response turns and thought signatures', async () => {
    assert.equal((await post(generate, { contents: [{ role: 'assistant', parts: [{ text: 'hi' }] }] })).error?.message, 'Please use a valid role: user, model.');
    const orphan = await post(generate, { contents: [...hello.contents, { role: 'user', parts: [{ functionResponse: { name: 'f', response: { output: 'x' } } }] }] });
    assert.match(orphan.error!.message, /function response turn comes immediately after a function call turn/);
    const call = { role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] };
    const result = { role: 'user', parts: [{ functionResponse: { name: 'f', response: { output: 'x' } } }] };
    const unsigned = await post(generate, { contents: [...hello.contents, call, result] });
    assert.match(unsigned.error!.message, /Function call `f` in the `1\.` content block is missing a `thought_signature`/);
    const placeholder = { role: 'model', parts: [{ functionCall: { name: 'f', args: {} }, thoughtSignature: 'skip_thought_signature_validator' }] };
    assert.equal((await post(generate, { contents: [...hello.contents, placeholder, result] })).status, 200);
  });

  it('streams in the recorded SSE format only with alt=sse, and a JSON array without it', async () => {
    const sse = await fetch(`${simulator.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': simulator.apiKey }, body: JSON.stringify(hello) });
    assert.equal(sse.headers.get('content-type'), 'text/event-stream');
    const text = await sse.text();
    assert.match(text, /^data: \{"candidates": \[\{"content": \{"parts": \[\{"text": "Simulated /);
    assert.ok(text.endsWith('"}\r\n\r\n'));
    assert.match(text, /"finishReason": "STOP"/);
    const array = await fetch(`${simulator.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': simulator.apiKey }, body: JSON.stringify(hello) });
    assert.ok(Array.isArray(await array.json()));
  });
});
