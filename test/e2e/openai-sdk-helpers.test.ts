import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { zodFunction, zodResponseFormat } from 'openai/helpers/zod';
import type { RunnableToolFunctionWithParse } from 'openai/lib/RunnableFunction';
import { z } from 'zod';
import { AnthropicSimulator } from '../simulators/anthropic/server.ts';
import { BedrockSimulator } from '../simulators/bedrock/server.ts';
import { CohereSimulator } from '../simulators/cohere/server.ts';
import { GeminiSimulator } from '../simulators/gemini/server.ts';
import { MistralSimulator } from '../simulators/mistral/server.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { configFromEnvironment } from '../../src/config/from-env.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { openaiClient } from '../helpers/openai-client.ts';

const masterKey = 'sb-master-sdk-helpers';

/** One model per provider type the gateway translates for (or relays to), each with tools and json_schema. */
const models = ['openai', 'groq', 'anthropic', 'gemini', 'bedrock', 'mistral', 'cohere'] as const;

const Person = z.object({ name: z.string(), nickname: z.string().nullable(), tags: z.array(z.string()), age: z.number(), address: z.object({ city: z.string() }) });
const WeatherArguments = z.object({ city: z.string(), unit: z.string().nullable() });
const question = [{ role: 'user' as const, content: 'weather and time in Paris?' }];
const weatherTool = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
const timeTool = { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } } };

/**
 * The official openai SDK's higher-level helpers (node_modules/openai/lib: ChatCompletionStream,
 * AbstractChatCompletionRunner, parser.mjs) through the gateway to every provider type: what they
 * check of an answer (a role and a finish_reason per choice, `type: "function"` and one id per
 * streamed call, JSON content for `parse`, ids that pair tool results with their calls) holds
 * whichever provider answered.
 */
describe('openai SDK helpers through every provider type', () => {
  let simulators: Array<{ close(): Promise<unknown> }>;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    const openai = await new OpenAISimulator().start();
    const groq = await new OpenAISimulator({ apiKey: 'gsk-key', groq: true, models: ['llama-3.3-70b-versatile'] }).start();
    const anthropic = await new AnthropicSimulator().start();
    const gemini = await new GeminiSimulator().start();
    const bedrock = await new BedrockSimulator().start();
    const mistral = await new MistralSimulator().start();
    const cohere = await new CohereSimulator().start();
    simulators = [openai, groq, anthropic, gemini, bedrock, mistral, cohere];
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'oai', type: 'openai', base_url: openai.url, api_key: openai.apiKey },
        { id: 'gq', type: 'groq', base_url: groq.url, api_key: 'gsk-key' },
        { id: 'an', type: 'anthropic', base_url: anthropic.url, api_key: anthropic.apiKey },
        { id: 'ge', type: 'gemini', base_url: gemini.url, api_key: gemini.apiKey },
        { id: 'be', type: 'bedrock', base_url: bedrock.url, region: bedrock.region, aws_access_key_id: bedrock.credentials.accessKeyId, aws_secret_access_key: bedrock.credentials.secretAccessKey },
        { id: 'mi', type: 'mistral', base_url: mistral.url, api_key: mistral.apiKey },
        { id: 'co', type: 'cohere', base_url: cohere.url, api_key: cohere.apiKey },
      ],
      models: [
        { id: 'openai', provider: 'oai', upstream: 'gpt-4o-mini' },
        { id: 'groq', provider: 'gq', upstream: 'llama-3.3-70b-versatile' },
        { id: 'anthropic', provider: 'an', upstream: 'claude-sonnet-4-5-20250929' },
        { id: 'gemini', provider: 'ge', upstream: 'gemini-2.5-flash' },
        { id: 'bedrock', provider: 'be', upstream: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0' },
        { id: 'mistral', provider: 'mi', upstream: 'mistral-small-latest' },
        { id: 'cohere', provider: 'co', upstream: 'command-a-03-2025' },
      ],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, ...simulators));

  it('stream(): tool-call events and finalChatCompletion() with the calls, their ids and the usage chunk', async () => {
    for (const model of models) {
      const stream = client.chat.completions.stream({ model, messages: question, tools: [weatherTool, timeTool], stream_options: { include_usage: true } });
      const done: string[] = [];
      stream.on('tool_calls.function.arguments.done', (event) => done.push(`${event.index}:${event.name}:${event.arguments}`));
      const final = await stream.finalChatCompletion();
      const choice = final.choices[0]!;
      assert.equal(choice.finish_reason, 'tool_calls', model);
      assert.equal(choice.message.role, 'assistant');
      const calls = choice.message.tool_calls ?? [];
      assert.ok(calls.length >= 1, `${model}: no tool call`);
      assert.equal(done.length, calls.length, `${model}: one arguments.done event per call`);
      assert.equal(new Set(calls.map((call) => call.id)).size, calls.length, `${model}: one distinct id per call`);
      for (const call of calls) {
        assert.equal(call.type, 'function');
        assert.ok(call.id.length > 0);
        JSON.parse(call.function.arguments);
      }
      assert.ok(final.usage && final.usage.total_tokens > 0, `${model}: the usage chunk`);
    }
  });

  it('runTools(): every call runs, its result goes back under its id, the loop ends with the answer', async () => {
    for (const stream of [false, true]) {
      for (const model of models) {
        const ran: string[] = [];
        const parse = (text: string) => JSON.parse(text) as Record<string, string>;
        const tools: Array<RunnableToolFunctionWithParse<Record<string, string>>> = [
          { type: 'function', function: { name: 'get_weather', description: 'The weather in a city', parameters: weatherTool.function.parameters, parse, function: (input) => (ran.push(`weather ${input.city}`), 'sunny') } },
          { type: 'function', function: { name: 'get_time', description: 'The time in a zone', parameters: timeTool.function.parameters, parse, function: (input) => (ran.push(`time ${input.zone}`), 'noon') } },
        ];
        const runner = stream ? client.chat.completions.runTools({ model, messages: question, tools, stream: true }) : client.chat.completions.runTools({ model, messages: question, tools });
        const content = await runner.finalContent();
        assert.ok(ran.length >= 1, `${model} (stream ${stream}): no tool ran`);
        assert.match(content ?? '', /sunny|noon/, `${model} (stream ${stream}): the answer after the results`);
        const calls = runner.messages.flatMap((message) => (message.role === 'assistant' ? (message.tool_calls ?? []) : []));
        const results = runner.messages.filter((message) => message.role === 'tool');
        assert.deepEqual(results.map((message) => message.tool_call_id), calls.map((call) => call.id));
      }
    }
  });

  it('parse() with zodResponseFormat: message.parsed, streamed and not', async () => {
    const expected = { name: 'value-name', nickname: 'value-nickname', tags: ['value-tags'], age: 1, address: { city: 'value-city' } };
    for (const model of models) {
      const parsed = await client.chat.completions.parse({ model, messages: [{ role: 'user', content: 'a person' }], response_format: zodResponseFormat(Person, 'person') });
      assert.equal(parsed.choices[0]!.finish_reason, 'stop', model);
      assert.deepEqual(parsed.choices[0]!.message.parsed, expected, model);
      const streamed = await client.chat.completions.stream({ model, messages: [{ role: 'user', content: 'a person' }], response_format: zodResponseFormat(Person, 'person') }).finalChatCompletion();
      assert.deepEqual(streamed.choices[0]!.message.parsed, expected, `${model} streamed`);
    }
  });

  it('parse() and runTools() with strict zodFunction tools: parsed_arguments, and the answer after the call', async () => {
    for (const model of models) {
      const parsed = await client.chat.completions.parse({ model, messages: [{ role: 'user', content: 'weather?' }], tools: [zodFunction({ name: 'get_weather', parameters: WeatherArguments })] });
      const call = parsed.choices[0]!.message.tool_calls?.[0];
      assert.ok(call, `${model}: no tool call`);
      assert.deepEqual(call.function.parsed_arguments, { city: 'value-city', unit: 'value-unit' }, model);
      const seen: unknown[] = [];
      const runner = client.chat.completions.runTools({
        model,
        messages: [{ role: 'user', content: 'weather?' }],
        tools: [zodFunction({ name: 'get_weather', parameters: WeatherArguments, function: (input) => (seen.push(input), { celsius: 20 }) })],
      });
      assert.match((await runner.finalContent()) ?? '', /20/, model);
      assert.deepEqual(seen, [{ city: 'value-city', unit: 'value-unit' }], model);
    }
  });
});

/**
 * Demo mode (no config, no keys: src/config/from-env.ts) lists `demo-smart` with `json_schema` and
 * both demo models with `json_object` and `tools`; a newcomer trying the SDK's structured-output
 * helpers there must get JSON back, not a SyntaxError from the SDK's JSON.parse.
 */
describe('openai SDK helpers in demo mode', () => {
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    gateway = await startGateway(configFromEnvironment({}, []).raw);
    client = openaiClient(gateway, 'no-key-needed');
  });

  after(() => gateway.close());

  it('parse() with zodResponseFormat answers JSON of the schema, streamed and not, through the auto route', async () => {
    const expected = { name: 'simulated', nickname: 'simulated', tags: ['simulated'], age: 0, address: { city: 'simulated' } };
    const parsed = await client.chat.completions.parse({ model: 'auto', messages: [{ role: 'user', content: 'a person' }], response_format: zodResponseFormat(Person, 'person') });
    assert.deepEqual(parsed.choices[0]!.message.parsed, expected);
    assert.equal(parsed.model, 'demo-smart');
    const streamed = await client.chat.completions.stream({ model: 'demo-smart', messages: [{ role: 'user', content: 'a person' }], response_format: zodResponseFormat(Person, 'person') }).finalChatCompletion();
    assert.deepEqual(streamed.choices[0]!.message.parsed, expected);
  });

  it('json_object mode answers a JSON object that says it is simulated', async () => {
    const answer = await client.chat.completions.create({ model: 'demo-fast', messages: [{ role: 'user', content: 'json please' }], response_format: { type: 'json_object' } });
    assert.match(JSON.parse(answer.choices[0]!.message.content!).simulated, /simulated answer from Switchboard's demo provider/);
  });

  it('a forced strict tool call carries arguments of the tool\u2019s schema (parsed_arguments, runTools)', async () => {
    const tool = zodFunction({ name: 'get_weather', parameters: WeatherArguments });
    const parsed = await client.chat.completions.parse({ model: 'demo-fast', messages: [{ role: 'user', content: 'weather?' }], tools: [tool], tool_choice: 'required' });
    assert.deepEqual(parsed.choices[0]!.message.tool_calls?.[0]?.function.parsed_arguments, { city: 'simulated', unit: 'simulated' });
    const seen: unknown[] = [];
    const runner = client.chat.completions.runTools({
      model: 'demo-fast',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [zodFunction({ name: 'get_weather', parameters: WeatherArguments, function: (input) => (seen.push(input), 'sunny') })],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    await runner.done();
    assert.deepEqual(seen, [{ city: 'simulated', unit: 'simulated' }]);
  });
});
