import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import OpenAI from 'openai';
import { BedrockSimulator } from '../simulators/bedrock/server.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { anthropicClient } from '../helpers/anthropic-client.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { openaiClient } from '../helpers/openai-client.ts';

const masterKey = 'sb-master-bedrock-fidelity';
const claude = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};
const toolCall = { id: 'call_1', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };

/**
 * What Converse refuses (InferenceConfiguration bounds, blank tool results, a tool history
 * without tools): the adapter either sends what Bedrock takes, with a ledger warning, or refuses
 * before any call so that the route's next candidate answers (docs/providers/bedrock.md).
 */
describe('Bedrock translation fidelity (outside review): official SDKs → gateway → strict Converse simulator', () => {
  let simulator: BedrockSimulator;
  let openai: OpenAISimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    simulator = await new BedrockSimulator().start();
    openai = await new OpenAISimulator({ apiKey: 'openai-key', models: ['gpt-sim'] }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'aws', type: 'bedrock', base_url: simulator.url, region: simulator.region, aws_access_key_id: simulator.credentials.accessKeyId, aws_secret_access_key: simulator.credentials.secretAccessKey },
        { id: 'oai', type: 'openai', base_url: openai.url, api_key: 'openai-key' },
      ],
      models: [
        { id: 'claude', provider: 'aws', upstream: claude, pricing: { input_per_mtok: 3, output_per_mtok: 15 } },
        { id: 'oss', provider: 'aws', upstream: 'openai.gpt-oss-120b-1:0', pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6 } },
        { id: 'gpt', provider: 'oai', upstream: 'gpt-sim', pricing: { input_per_mtok: 1, output_per_mtok: 2 } },
      ],
      routes: [
        { id: 'claude-then-gpt', strategy: 'ordered', candidates: ['claude', 'gpt'] },
        { id: 'oss-then-gpt', strategy: 'ordered', candidates: ['oss', 'gpt'] },
      ],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, simulator, openai));

  it("moves a temperature above Bedrock's 1 to the next candidate, with no call to Bedrock; a 400 naming it when Bedrock is the only one", async () => {
    const calls = simulator.calls('converse').length;
    const { response } = await client.chat.completions.create({ model: 'claude-then-gpt', temperature: 1.5, messages: [{ role: 'user', content: 'hot' }] }).withResponse();
    assert.equal(response.headers.get('x-switchboard-model'), 'gpt');
    await assert.rejects(client.chat.completions.create({ model: 'claude', temperature: 1.5, messages: [{ role: 'user', content: 'hot' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.equal(error.param, 'temperature');
      return true;
    });
    assert.equal(simulator.calls('converse').length, calls, 'the refused request reached no Bedrock');
  });

  it('moves a tool history without tools to the next candidate (Bedrock requires a toolConfig then)', async () => {
    const { response } = await client.chat.completions
      .create({
        model: 'claude-then-gpt',
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: null, tool_calls: [toolCall] },
          { role: 'tool', tool_call_id: 'call_1', content: '18C' },
          { role: 'user', content: 'Summarise.' },
        ],
      })
      .withResponse();
    assert.equal(response.headers.get('x-switchboard-model'), 'gpt');
  });

  it('answers a tool result that is an empty string (no blank text block is sent)', async () => {
    const data = await client.chat.completions.create({
      model: 'claude',
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [toolCall] },
        { role: 'tool', tool_call_id: 'call_1', content: '' },
      ],
    });
    assert.equal(data.choices[0]?.finish_reason, 'stop');
    const sent = simulator.calls('converse').at(-1)!.body?.messages as Array<{ content: unknown[] }>;
    assert.deepEqual(sent[2]!.content, [{ toolResult: { toolUseId: 'call_1', content: [] } }]);
  });

  it("answers an Anthropic caller's empty failed tool_result, sent without its status and with a ledger warning", async () => {
    const { data, response } = await anthropicClient(gateway, masterKey)
      .messages.create({
        model: 'claude',
        max_tokens: 100,
        tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', is_error: true }] },
        ],
      })
      .withResponse();
    assert.equal(data.stop_reason, 'end_turn');
    const row = (await gateway.ledgerRow(response))!;
    assert.deepEqual(row.warnings.map((warning) => warning.setting), ['messages[2].is_error']);
  });

  it('moves stop sequences for gpt-oss on Bedrock (which refuses them) to the next candidate', async () => {
    const calls = simulator.calls('converse').length;
    const { response } = await client.chat.completions.create({ model: 'oss-then-gpt', stop: ['END'], messages: [{ role: 'user', content: 'stop?' }] }).withResponse();
    assert.equal(response.headers.get('x-switchboard-model'), 'gpt');
    assert.equal(simulator.calls('converse').length, calls);
  });

  it("moves a model id Bedrock cannot call on demand (its 400) to the next candidate: the deployment's fault, not the caller's", async () => {
    simulator.fail({ kind: 'status', status: 400, message: 'Invocation of model ID anthropic.claude-3-5-sonnet-20240620-v1:0 with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.' }, { model: claude });
    const { response } = await client.chat.completions.create({ model: 'claude-then-gpt', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal(response.headers.get('x-switchboard-model'), 'gpt');
    const row = (await gateway.ledgerRow(response))!;
    assert.deepEqual(row.attempts.map((attempt) => [attempt.model, attempt.errorCode ?? null]), [['claude', 'SB_ERR_UPSTREAM_NOT_FOUND'], ['gpt', null]]);
  });

  it('leaves an empty stop sequence out with a ledger warning, and sends the others', async () => {
    const { response } = await client.chat.completions.create({ model: 'claude', stop: ['', 'END'], messages: [{ role: 'user', content: 'stop?' }] }).withResponse();
    assert.deepEqual(simulator.calls('converse').at(-1)!.body?.inferenceConfig, { stopSequences: ['END'] });
    const row = (await gateway.ledgerRow(response))!;
    assert.deepEqual(row.warnings.map((warning) => warning.setting), ['stop']);
  });
});

describe('the Bedrock simulator rejects what Bedrock rejects (outside review)', () => {
  let simulator: BedrockSimulator;
  before(async () => {
    simulator = await new BedrockSimulator().start();
  });
  after(() => simulator.close());

  async function invoke(operation: 'converse' | 'invoke', model: string, body: unknown): Promise<{ status: number; message: string }> {
    const url = new URL(`${simulator.url}/model/${encodeURIComponent(model)}/${operation}`);
    const text = JSON.stringify(body);
    const signer = new SignatureV4({ service: 'bedrock', region: simulator.region, credentials: simulator.credentials, sha256: Sha256 });
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, path: url.pathname, query: {}, headers: { 'content-type': 'application/json', host: url.host }, body: text });
    const { host: _host, ...headers } = signed.headers;
    const response = await fetch(url, { method: 'POST', headers, body: text });
    return { status: response.status, message: ((await response.json()) as { message?: string }).message ?? '' };
  }

  const user = { role: 'user', content: [{ text: 'hi' }] };
  const toolTurns = (result: unknown) => ({
    messages: [user, { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'f', input: {} } }] }, { role: 'user', content: [{ toolResult: result }] }],
    toolConfig: { tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }] },
  });

  it('refuses InferenceConfiguration values out of bounds, blank tool result text and an empty failed result', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ messages: [user], inferenceConfig: { temperature: 1.5 } }, /inferenceConfig\.temperature/],
      [{ messages: [user], inferenceConfig: { topP: -0.1 } }, /inferenceConfig\.topP/],
      [{ messages: [user], inferenceConfig: { maxTokens: 0 } }, /inferenceConfig\.maxTokens/],
      [{ messages: [user], inferenceConfig: { stopSequences: [''] } }, /inferenceConfig\.stopSequences/],
      [toolTurns({ toolUseId: 't1', content: [{ text: '' }] }), /is blank/],
      [toolTurns({ toolUseId: 't1', content: [], status: 'error' }), /cannot be empty when status value is error/],
    ];
    for (const [body, message] of cases) {
      const answer = await invoke('converse', claude, body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.match(answer.message, message);
    }
    assert.equal((await invoke('converse', claude, toolTurns({ toolUseId: 't1', content: [] }))).status, 200);
    assert.match((await invoke('converse', 'openai.gpt-oss-120b-1:0', { messages: [user], inferenceConfig: { stopSequences: ['END'] } })).message, /doesn't support the stopSequences field/);
  });

  it("refuses Cohere's sizes and lengths as Bedrock does", async () => {
    assert.match((await invoke('invoke', 'cohere.embed-v4:0', { texts: ['a'], input_type: 'search_query', output_dimension: 768 })).message, /output_dimension/);
    assert.match((await invoke('invoke', 'cohere.embed-english-v3', { texts: ['a'.repeat(2049)], input_type: 'search_query' })).message, /maxLength: 2048/);
  });
});
