import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import OpenAI from 'openai';
import { BedrockSimulator } from '../simulators/bedrock/server.ts';
import { anthropicClient, thinkingWeatherConversation } from '../helpers/anthropic-client.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { collectStream, onlyToolCall, openaiClient, textBeforeStreamError } from '../helpers/openai-client.ts';

const masterKey = 'sb-master-bedrock-key';
const claude = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const titan = 'amazon.titan-embed-text-v2:0';
const sonnet45 = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

describe('OpenAI ingress through the Bedrock provider (official openai SDK → Converse simulator)', () => {
  let simulator: BedrockSimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    simulator = await new BedrockSimulator().start();
    const signed = { type: 'bedrock', base_url: simulator.url, region: simulator.region, timeout_ms: 2000, cooldown: { failures: 1000 } };
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'aws', ...signed, aws_access_key_id: simulator.credentials.accessKeyId, aws_secret_access_key: simulator.credentials.secretAccessKey },
        { id: 'aws-key', type: 'bedrock', base_url: simulator.url, api_key: simulator.apiKey },
        { id: 'aws-wrong', ...signed, aws_access_key_id: simulator.credentials.accessKeyId, aws_secret_access_key: 'not-the-secret-key-0000' },
      ],
      models: [
        { id: 'claude', provider: 'aws', upstream: claude, pricing: { input_per_mtok: 3, output_per_mtok: 15 } },
        { id: 'titan', provider: 'aws', upstream: titan, pricing: { input_per_mtok: 0.02, output_per_mtok: 0 } },
        { id: 'sonnet45', provider: 'aws', upstream: sonnet45, pricing: { input_per_mtok: 3, output_per_mtok: 15 } },
        { id: 'claude-key', provider: 'aws-key', upstream: claude },
        { id: 'claude-wrong', provider: 'aws-wrong', upstream: claude },
      ],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, simulator));

  it('answers a chat through Converse, signed, with the model id encoded in the path', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'claude', max_tokens: 200, temperature: 0.3, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }] })
      .withResponse();
    assert.equal(data.choices[0]?.message.content, `Simulated reply from ${claude}: Hello there`);
    assert.equal(data.choices[0]?.finish_reason, 'stop');
    const upstream = simulator.calls('converse').at(-1)!;
    assert.equal(upstream.path, '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    assert.match(String(upstream.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIASIMULATOR0000001\/\d{8}\/us-east-1\/bedrock\/aws4_request, /);
    assert.deepEqual(upstream.body, {
      messages: [{ role: 'user', content: [{ text: 'Hello there' }] }],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 200, temperature: 0.3 },
    });
    const row = (await gateway.ledgerRow(response))!;
    assert.equal(row.status, 'ok');
    assert.equal(row.provider, 'aws');
    assert.equal(row.inputTokens, data.usage?.prompt_tokens);
    assert.equal(row.tokensEstimated, false);
  });

  it('sends a Bedrock API key as a bearer token instead of signing', async () => {
    const data = await client.chat.completions.create({ model: 'claude-key', messages: [{ role: 'user', content: 'key?' }] });
    assert.equal(data.choices[0]?.message.content, `Simulated reply from ${claude}: key?`);
    const upstream = simulator.calls('converse').at(-1)!;
    assert.equal(upstream.headers.authorization, `Bearer ${simulator.apiKey}`);
    assert.equal(upstream.headers['x-amz-date'], undefined);
  });

  it('streams ConverseStream frames (split at odd byte boundaries) with the final usage chunk', async () => {
    const stream = await client.chat.completions.create({ model: 'claude', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'count to three please' }] });
    const { text, finish, usage } = await collectStream(stream);
    assert.equal(text, `Simulated reply from ${claude}: count to three please`);
    assert.equal(finish, 'stop');
    assert.ok(usage && usage.prompt_tokens > 0 && usage.completion_tokens > 0);
    assert.equal(simulator.calls('converse-stream').at(-1)?.path, '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream');
  });

  it('round-trips a tool call, non-streamed and streamed, keeping the ids paired', async () => {
    const first = await client.chat.completions.create({ model: 'claude', tools: [weatherTool], tool_choice: 'auto', messages: [{ role: 'user', content: 'weather in Paris?' }] });
    const call = first.choices[0]!.message.tool_calls![0]!;
    assert.equal(first.choices[0]!.finish_reason, 'tool_calls');
    assert.equal(call.type === 'function' && call.function.name, 'get_weather');
    assert.deepEqual(call.type === 'function' && JSON.parse(call.function.arguments), { city: 'value-city' });

    const streamed = await collectStream(await client.chat.completions.create({ model: 'claude', tools: [weatherTool], stream: true, messages: [{ role: 'user', content: 'weather in Paris?' }] }));
    const { id, args } = onlyToolCall(streamed);
    assert.equal(id, call.id);
    assert.deepEqual(JSON.parse(args), { city: 'value-city' });
    assert.equal(streamed.finish, 'tool_calls');

    const second = await client.chat.completions.create({
      model: 'claude',
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '18C and sunny' },
      ],
    });
    assert.equal(second.choices[0]!.message.content, `The tool ${call.id} said: 18C and sunny`);
    const upstream = simulator.calls('converse').at(-1)!;
    assert.deepEqual((upstream.body?.messages as unknown[])[2], { role: 'user', content: [{ toolResult: { toolUseId: call.id, content: [{ text: '18C and sunny' }] } }] });
  });

  it('sends image bytes, decoded from a data URL', async () => {
    const data = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }],
    });
    assert.equal(data.choices[0]?.message.content, `Simulated reply from ${claude}: What is this? [image/png ${Buffer.from(png, 'base64').length} bytes]`);
    const content = (simulator.calls('converse').at(-1)!.body?.messages as Array<{ content: unknown[] }>)[0]!.content;
    assert.deepEqual(content[1], { image: { format: 'png', source: { bytes: png } } });
  });

  it('round-trips thinking with its signature and a tool call through the Anthropic ingress (official @anthropic-ai/sdk)', async () => {
    const conversation = thinkingWeatherConversation(anthropicClient(gateway, masterKey), 'claude');
    const first = await conversation.ask();
    assert.deepEqual(first.content.map((block) => block.type), ['thinking', 'tool_use']);
    assert.equal(first.stop_reason, 'tool_use');
    const thinking = first.content[0]!;
    assert.ok(thinking.type === 'thinking');
    assert.equal(thinking.signature, 'c2ltdWxhdGVkLXNpZ25hdHVyZQ==');
    assert.deepEqual(simulator.calls('converse').at(-1)!.body?.additionalModelRequestFields, { thinking: { type: 'enabled', budget_tokens: 1024 } });
    const toolUse = first.content[1]!;
    assert.ok(toolUse.type === 'tool_use');
    const second = await conversation.answer(first, toolUse.id, '-3C and snow');
    assert.deepEqual(second.content.filter((block) => block.type === 'text').map((block) => block.type === 'text' && block.text), [`The tool ${toolUse.id} said: -3C and snow`]);
    const assistant = (simulator.calls('converse').at(-1)!.body?.messages as Array<{ content: unknown[] }>)[1]!;
    assert.deepEqual(assistant.content[0], { reasoningContent: { reasoningText: { text: thinking.thinking, signature: thinking.signature } } });
  });

  it('sends json_schema as Converse structured output', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const data = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Largest city?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema, strict: true } },
    });
    assert.deepEqual(JSON.parse(data.choices[0]!.message.content!), { city: 'value-city' });
    assert.deepEqual(simulator.calls('converse').at(-1)!.body?.outputConfig, {
      textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(schema), name: 'city' } } },
    });
  });

  it('creates Titan embeddings through InvokeModel, one call per input', async () => {
    const before = simulator.calls('invoke').length;
    const { data, response } = await client.embeddings.create({ model: 'titan', input: ['one', 'three'], dimensions: 256 }).withResponse();
    assert.equal(data.data.length, 2);
    assert.equal(data.data[1]!.embedding.length, 256);
    assert.equal(data.usage.prompt_tokens, 1 + 2);
    assert.ok(Number(response.headers.get('x-switchboard-cost-usd')) > 0);
    const calls = simulator.calls('invoke').slice(before);
    assert.deepEqual(calls.map((call) => [call.path, call.body]), [
      ['/model/amazon.titan-embed-text-v2%3A0/invoke', { inputText: 'one', dimensions: 256, normalize: true }],
      ['/model/amazon.titan-embed-text-v2%3A0/invoke', { inputText: 'three', dimensions: 256, normalize: true }],
    ]);
  });

  it('keeps a throttling 429 retryable and rate-limited for the caller', async () => {
    simulator.fail({ kind: 'status', status: 429, message: 'Too many requests, please wait before trying again.' }, { model: claude });
    await assert.rejects(client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.match(error.message, /ThrottlingException: Too many requests/);
      return true;
    });
  });

  it("returns Bedrock's own validation 400 as it is", async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'claude', messages: [{ role: 'assistant', content: 'I start.' }, { role: 'user', content: 'hi' }] }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError);
        assert.match(error.message, /answered 400: ValidationException: A conversation must start with a user message/);
        return true;
      },
    );
  });

  it('raises an exception frame mid-stream as an SDK error after the text before it', async () => {
    simulator.fail({ kind: 'stream-error', afterFrames: 3, exceptionType: 'throttlingException', message: 'Rate exceeded mid-stream' }, { model: claude });
    const stream = await client.chat.completions.create({ model: 'claude', stream: true, messages: [{ role: 'user', content: 'tell me a long story please' }] });
    const text = await textBeforeStreamError(stream, /Rate exceeded mid-stream/);
    assert.ok(text.length > 0, 'the text before the exception was delivered');
  });

  it('ends a cut stream with an SDK error, not a silent end', async () => {
    simulator.fail({ kind: 'cut-stream', afterFrames: 4 }, { model: claude });
    const stream = await client.chat.completions.create({ model: 'claude', stream: true, messages: [{ role: 'user', content: 'tell me a long story please' }] });
    await textBeforeStreamError(stream, OpenAI.APIError);
  });

  it('maps a hung, reset or garbled Bedrock to 504 and 502s', async () => {
    const status = async () => {
      try {
        await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] });
      } catch (error) {
        assert.ok(error instanceof OpenAI.APIError);
        return error.status;
      }
      return 200;
    };
    simulator.fail({ kind: 'hang' }, { model: claude });
    assert.equal(await status(), 504);
    simulator.fail({ kind: 'reset' }, { model: claude });
    assert.equal(await status(), 502);
    simulator.fail({ kind: 'invalid-json' }, { model: claude });
    assert.equal(await status(), 502);
    simulator.fail({ kind: 'slow', delayMs: 100 }, { model: claude });
    assert.equal(await status(), 200);
  });

  it('is refused by the simulator when the signature is wrong: a 502 that names the 403 and holds no secret', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'claude-wrong', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 502);
      assert.match(error.message, /answered 403: InvalidSignatureException: The request signature we calculated does not match/);
      assert.equal(error.message.includes('not-the-secret-key-0000'), false);
      return true;
    });
  });

  it('sends OpenAI-format prompt-caching breakpoints as cachePoint blocks, and prices the writes and reads Bedrock reports', async () => {
    const rules = `Rules: ${'be exact and brief. '.repeat(60)}`;
    // cache_control as OpenRouter and LiteLLM take it in the OpenAI format; not in the SDK's types.
    const messages = [
      { role: 'system', content: [{ type: 'text', text: rules, cache_control: { type: 'ephemeral', ttl: '1h' } }] },
      { role: 'user', content: [{ type: 'text', text: 'What now?' }] },
    ] as unknown as OpenAI.ChatCompletionMessageParam[];
    const first = await client.chat.completions.create({ model: 'sonnet45', messages }).withResponse();
    const sent = simulator.calls('converse', sonnet45).at(-1)!.body as { system: unknown };
    assert.deepStrictEqual(sent.system, [{ text: rules }, { cachePoint: { type: 'default', ttl: '1h' } }]);
    const written = (await gateway.ledgerRow(first.response))!;
    assert.ok(written.cacheWriteTokens > 0 && written.cachedInputTokens === 0, 'the first call writes the prefix');
    assert.deepStrictEqual(written.warnings, []);
    const prompt = first.data.usage!.prompt_tokens;
    const output = first.data.usage!.completion_tokens;
    // Claude's multipliers on Bedrock: a 1-hour write at 2x the input price (src/providers/_shared/claude-cache-prices.ts).
    const writeCost = ((prompt - written.cacheWriteTokens) * 3 + written.cacheWriteTokens * 6 + output * 15) / 1_000_000;
    assert.ok(Math.abs(written.costUsd - writeCost) < 1e-9, `${written.costUsd} against ${writeCost}`);

    const second = await client.chat.completions.create({ model: 'sonnet45', messages }).withResponse();
    assert.equal(second.data.usage!.prompt_tokens_details?.cached_tokens, written.cacheWriteTokens, 'the second call reads what the first wrote');
    const read = (await gateway.ledgerRow(second.response))!;
    assert.equal(read.cachedInputTokens, written.cacheWriteTokens);
    assert.equal(read.cacheWriteTokens, 0);
    const readCost = ((prompt - read.cachedInputTokens) * 3 + read.cachedInputTokens * 0.3 + second.data.usage!.completion_tokens * 15) / 1_000_000;
    assert.ok(Math.abs(read.costUsd - readCost) < 1e-9, `${read.costUsd} against ${readCost}`);
  });

  it("sends an Anthropic-format caller's cache_control on text as cachePoint blocks (Claude Code's marks reach Claude on Bedrock), and names the marks it cannot carry", async () => {
    const anthropic = anthropicClient(gateway, masterKey);
    const rules = `Rules: ${'answer from the tool results only. '.repeat(40)}`;
    const { data, response } = await anthropic.messages
      .create({
        model: 'sonnet45',
        max_tokens: 100,
        system: [{ type: 'text', text: rules, cache_control: { type: 'ephemeral', ttl: '1h' } }],
        tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } }, cache_control: { type: 'ephemeral' } }],
        tool_choice: { type: 'none' },
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?', cache_control: { type: 'ephemeral' } }] }],
      })
      .withResponse();
    const sent = simulator.calls('converse', sonnet45).at(-1)!.body as { system: unknown; messages: unknown };
    assert.deepStrictEqual(sent.system, [{ text: rules }, { cachePoint: { type: 'default', ttl: '1h' } }]);
    assert.deepStrictEqual(sent.messages, [{ role: 'user', content: [{ text: 'Weather in Oslo?' }, { cachePoint: { type: 'default' } }] }]);
    assert.ok(data.usage.cache_creation_input_tokens! > 0, 'the write is reported to the Anthropic caller');
    const row = (await gateway.ledgerRow(response))!;
    assert.equal(row.cacheWriteTokens, data.usage.cache_creation_input_tokens);
    assert.deepStrictEqual(row.warnings.map((warning) => warning.setting), ['tools[].cache_control'], 'tool_choice "none" leaves the tools out, and the mark after them: the row says so');
  });

  it("sends an Anthropic-format caller's cache_control on a tool as a cachePoint after it in toolConfig, and reads it back cached", async () => {
    const anthropic = anthropicClient(gateway, masterKey);
    const tools = [
      { name: 'get_weather', description: `Weather for a city. ${'Give the city as the user wrote it. '.repeat(40)}`, input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } },
      { name: 'get_time', input_schema: { type: 'object' as const, properties: {} }, cache_control: { type: 'ephemeral' as const } },
    ];
    const ask = () => anthropic.messages.create({ model: 'sonnet45', max_tokens: 100, tools, messages: [{ role: 'user', content: 'Weather and time in Oslo?' }] }).withResponse();
    const first = await ask();
    const sent = simulator.calls('converse', sonnet45).at(-1)!.body as { toolConfig: { tools: unknown[] } };
    assert.deepStrictEqual(
      sent.toolConfig.tools.map((tool) => Object.keys(tool as object)[0]),
      ['toolSpec', 'toolSpec', 'cachePoint'],
      'the cache point follows the tool the caller marked',
    );
    assert.deepStrictEqual(sent.toolConfig.tools[2], { cachePoint: { type: 'default' } });
    assert.ok(first.data.usage.cache_creation_input_tokens! > 0, 'the tools were written to the cache');
    const second = await ask();
    assert.equal(second.data.usage.cache_read_input_tokens, first.data.usage.cache_creation_input_tokens, 'and read from it the next time');
    const row = (await gateway.ledgerRow(second.response))!;
    assert.equal(row.cachedInputTokens, second.data.usage.cache_read_input_tokens);
    assert.deepStrictEqual(row.warnings, []);
  });

  it('answers temperature and top_p together for a Claude that takes one of them: temperature sent, the row says top_p was not', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'sonnet45', temperature: 0.3, top_p: 0.9, messages: [{ role: 'user', content: 'Both?' }] }).withResponse();
    assert.equal(data.choices[0]?.message.content, `Simulated reply from ${sonnet45}: Both?`);
    assert.deepStrictEqual((simulator.calls('converse', sonnet45).at(-1)!.body as { inferenceConfig: unknown }).inferenceConfig, { temperature: 0.3 });
    assert.deepStrictEqual((await gateway.ledgerRow(response))!.warnings.map((warning) => warning.setting), ['top_p']);
  });

  it('sends no cache point to a model Bedrock refuses them for: the call is answered, the row says what was not sent', async () => {
    const messages = [{ role: 'user', content: [{ type: 'text', text: 'Cache me?', cache_control: { type: 'ephemeral' } }] }] as unknown as OpenAI.ChatCompletionMessageParam[];
    const { data, response } = await client.chat.completions.create({ model: 'claude', messages }).withResponse();
    assert.equal(data.choices[0]?.message.content, `Simulated reply from ${claude}: Cache me?`);
    assert.deepStrictEqual((simulator.calls('converse', claude).at(-1)!.body as { messages: unknown }).messages, [{ role: 'user', content: [{ text: 'Cache me?' }] }]);
    const row = (await gateway.ledgerRow(response))!;
    assert.deepStrictEqual(row.warnings.map((warning) => [warning.type, warning.setting]), [['dropped-setting', 'cache_control']]);
  });

  it('keeps AWS secrets out of logs and the ledger', async () => {
    const rows = JSON.stringify(await gateway.ledger());
    for (const secret of [simulator.credentials.secretAccessKey, 'not-the-secret-key-0000', simulator.apiKey]) {
      assert.equal(gateway.logs.some((line) => line.includes(secret)), false, 'a log line holds a secret');
      assert.equal(rows.includes(secret), false);
    }
  });
});

describe('the Bedrock simulator rejects what Bedrock rejects', () => {
  let simulator: BedrockSimulator;
  before(async () => {
    simulator = await new BedrockSimulator().start();
  });
  after(() => simulator.close());

  /** A Converse call signed with the simulator's credentials (or not signed at all). */
  async function converse(body: unknown, sign = true, model = claude): Promise<{ status: number; errorType: string | null; message: string }> {
    const url = new URL(`${simulator.url}/model/${encodeURIComponent(model)}/converse`);
    const text = JSON.stringify(body);
    let headers: Record<string, string> = { 'content-type': 'application/json' };
    if (sign) {
      const signer = new SignatureV4({ service: 'bedrock', region: simulator.region, credentials: simulator.credentials, sha256: Sha256 });
      const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, path: url.pathname, query: {}, headers: { ...headers, host: url.host }, body: text });
      const { host: _host, ...rest } = signed.headers;
      headers = rest;
    }
    const response = await fetch(url, { method: 'POST', headers, body: text });
    const answer = (await response.json()) as { message: string };
    return { status: response.status, errorType: response.headers.get('x-amzn-errortype')?.split(':')[0] ?? null, message: answer.message };
  }

  const user = { role: 'user', content: [{ text: 'hi' }] };

  it('answers a valid signed call, and 403s an unsigned one', async () => {
    assert.equal((await converse({ messages: [user] })).status, 200);
    assert.deepEqual(await converse({ messages: [user] }, false), { status: 403, errorType: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });

  it('rejects unknown fields, unknown roles, a toolResult without its toolUse and tool blocks without a toolConfig', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ messages: [user], temperature: 0.5 }, /extraneous key \[temperature\]/],
      [{ messages: [user], inferenceConfig: { max_tokens: 5 } }, /extraneous key \[max_tokens\]/],
      [{ messages: [{ role: 'system', content: [{ text: 'x' }] }] }, /failed to satisfy constraint: Member must satisfy enum value set: \[user, assistant\]/],
      [{ messages: [user, { role: 'user', content: [{ text: 'again' }] }] }, /must alternate between user and assistant/],
      [{ messages: [user, { role: 'assistant', content: [{ text: 'ok' }] }, { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_1', content: [{ text: 'r' }] } }] }], toolConfig: { tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }] } }, /exceeds the number of toolUse blocks/],
      [{ messages: [user, { role: 'assistant', content: [{ toolUse: { toolUseId: 'tooluse_1', name: 'f', input: {} } }] }, { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_1', content: [{ text: 'r' }] } }] }] }, /toolConfig field must be defined/],
      [{ messages: [{ role: 'user', content: [{ text: '  ' }] }] }, /is blank/],
      [{ messages: [{ role: 'user', content: [{ image: { format: 'bmp', source: { bytes: 'AAAA' } } }] }] }, /format \(png, jpeg, gif, webp\)/],
    ];
    for (const [body, message] of cases) {
      const answer = await converse(body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.errorType, 'ValidationException');
      assert.match(answer.message, message);
    }
  });
  it('refuses cache points for a model without prompt caching (403), and more than four, unknown TTLs, 1h where only 5m is taken, TTLs that grow (400)', async () => {
    const point = (ttl?: string) => ({ cachePoint: ttl === undefined ? { type: 'default' } : { type: 'default', ttl } });
    const withPoints = (...points: unknown[]) => ({ messages: [{ role: 'user', content: [{ text: 'hi' }, ...points] }] });
    assert.deepEqual(await converse(withPoints(point())), {
      status: 403,
      errorType: 'AccessDeniedException',
      message: 'You invoked an unsupported model or your request did not allow prompt caching. See the documentation for more information.',
    });
    assert.equal((await converse(withPoints(point('1h')), true, sonnet45)).status, 200);
    const cases: Array<[unknown, string, RegExp]> = [
      [{ system: [{ text: 'a' }, point()], ...withPoints(point(), point(), point(), point()) }, sonnet45, /A maximum of 4 blocks/],
      [withPoints(point('10m')), sonnet45, /enum value set: \[5m, 1h\]/],
      [withPoints({ cachePoint: { type: 'default', scope: 'x' } }), sonnet45, /extraneous key \[scope\]/],
      [withPoints(point('1h')), 'anthropic.claude-3-7-sonnet-20250219-v1:0', /does not support a cache TTL of 1h/],
      [{ system: [{ text: 'a' }, point()], ...withPoints(point('1h')) }, sonnet45, /must not come after/],
    ];
    for (const [body, model, message] of cases) {
      const answer = await converse(body, true, model);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.errorType, 'ValidationException');
      assert.match(answer.message, message);
    }
  });
});
