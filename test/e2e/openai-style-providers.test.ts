import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { providerDefinitions } from '../../src/providers/index.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { collectStream, openaiClient } from '../helpers/openai-client.ts';

describe('OpenAI-style provider types', () => {
  let azure: OpenAISimulator;
  let ollama: OpenAISimulator;
  let groq: OpenAISimulator;
  let openrouter: OpenAISimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    azure = await new OpenAISimulator({ apiKey: 'azure-key', azureApiVersion: '2024-10-21' }).start();
    ollama = await new OpenAISimulator({ apiKey: 'unused', acceptUnknownFields: true, models: ['llama3.1:8b'] }).start();
    groq = await new OpenAISimulator({ apiKey: 'gsk-key', models: ['openai/gpt-oss-20b'] }).start();
    // $10 a million tokens, whatever the model: not the catalog's price for gpt-4o.
    openrouter = await new OpenAISimulator({ apiKey: 'sk-or-key', models: ['openai/gpt-4o', 'openai/text-embedding-3-small'], openrouter: { costPerToken: 0.00001 } }).start();
    gateway = await startGateway({
      providers: [
        { id: 'az', type: 'azure-openai', base_url: azure.url, api_key: 'azure-key' },
        { id: 'az-deployment', type: 'azure-openai', base_url: `${azure.url}/openai/deployments/prod-4o`, api_key: 'azure-key' },
        // Ollama's own origin, as OLLAMA_BASE_URL usually is: /v1 is appended.
        { id: 'local', type: 'ollama', base_url: ollama.url.replace(/\/v1$/, ''), headers: { authorization: 'Bearer unused' } },
        { id: 'fastinfer', type: 'groq', base_url: groq.url, api_key: 'gsk-key' },
        { id: 'or', type: 'openrouter', base_url: openrouter.url, api_key: 'sk-or-key' },
      ],
      models: [
        { id: 'azure-4o', provider: 'az', upstream: 'my-gpt4o-deployment' },
        { id: 'azure-fixed', provider: 'az-deployment', upstream: 'ignored' },
        { id: 'llama', provider: 'local', upstream: 'llama3.1:8b' },
        { id: 'oss', provider: 'fastinfer', upstream: 'openai/gpt-oss-20b' },
        { id: 'routed-4o', provider: 'or', upstream: 'openai/gpt-4o', pricing: { input_per_mtok: 1, output_per_mtok: 1 } },
        { id: 'routed-embed', provider: 'or', upstream: 'openai/text-embedding-3-small', pricing: { input_per_mtok: 1, output_per_mtok: 0 }, capabilities: ['embeddings'] },
      ],
    });
    client = openaiClient(gateway, 'open');
  });
  after(async () => {
    await gateway.close();
    await Promise.all([azure.close(), ollama.close(), groq.close(), openrouter.close()]);
  });

  it('azure-openai: deployment in the URL, api-version, api-key header', async () => {
    const answer = await client.chat.completions.create({ model: 'azure-4o', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.choices[0]?.message.content, 'Simulated reply from my-gpt4o-deployment: hi');
    const call = azure.requests.at(-1)!;
    assert.equal(call.path, '/openai/deployments/my-gpt4o-deployment/chat/completions');
    assert.equal(call.headers['api-key'], 'azure-key');
    assert.equal(call.headers.authorization, undefined);
    const stream = await client.chat.completions.create({ model: 'azure-fixed', stream: true, messages: [{ role: 'user', content: 'yo' }] });
    const { text } = await collectStream(stream);
    assert.equal(text, 'Simulated reply from prod-4o: yo');
    assert.equal(azure.requests.at(-1)!.path, '/openai/deployments/prod-4o/chat/completions');
  });

  it('ollama: OpenAI-compatible /v1 under the origin, streamed with usage', async () => {
    const stream = await client.chat.completions.create({ model: 'llama', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'local?' }] });
    const { usage } = await collectStream(stream);
    assert.ok(usage?.total_tokens);
    assert.equal(ollama.requests.at(-1)!.path, '/v1/chat/completions');
  });

  it('ollama: the output limit goes as the max_tokens its /v1 reads, other fields as they came (docs/api/openai-compatibility.mdx)', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }];
    const { response } = await client.chat.completions
      .create({ model: 'llama', max_completion_tokens: 12, tools, tool_choice: 'required', user: 'u1', messages: [{ role: 'user', content: 'local?' }] })
      .withResponse();
    const sent = ollama.requests.at(-1)!.body!;
    // max_tokens is the only limit Ollama reads: max_completion_tokens was ignored, the answer unbounded.
    assert.equal(sent.max_tokens, 12);
    assert.equal('max_completion_tokens' in sent, false);
    assert.deepStrictEqual([sent.tool_choice, sent.user], ['required', 'u1']);
    const row = await gateway.ledgerRow(response);
    assert.deepStrictEqual(row?.warnings, []);
    await assert.rejects(client.chat.completions.create({ model: 'llama', n: 2, messages: [{ role: 'user', content: 'two?' }] }), (error: unknown) => (error as { status?: number }).status === 400);
  });

  it('groq: Bearer key, model names with a slash', async () => {
    const answer = await client.chat.completions.create({ model: 'oss', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.choices[0]?.message.content, 'Simulated reply from openai/gpt-oss-20b: hi');
    assert.equal(groq.requests.at(-1)!.headers.authorization, 'Bearer gsk-key');
  });

  it("openrouter: the ledger and the cost header take the cost its answer reports, not the model's prices", async () => {
    const { data: answer, response } = await client.chat.completions.create({ model: 'routed-4o', messages: [{ role: 'user', content: 'what does it cost?' }] }).withResponse();
    const tokens = answer.usage!.prompt_tokens + answer.usage!.completion_tokens;
    const reported = tokens * 0.00001;
    const row = await gateway.ledgerRow(response);
    assert.ok(Math.abs(row!.costUsd - reported) < 1e-12, `${row!.costUsd} against ${reported}`);
    assert.notEqual(row!.costUsd, tokens / 1e6, "priced at the model's own $1 a million tokens");
    assert.equal(Number(response.headers.get('x-switchboard-cost-usd')), row!.costUsd);
    assert.deepStrictEqual(row!.warnings, []);

    const { data: stream, response: streamed } = await client.chat.completions.create({ model: 'routed-4o', stream: true, messages: [{ role: 'user', content: 'and streamed?' }] }).withResponse();
    await collectStream(stream);
    const streamRow = await gateway.ledgerRow(streamed);
    assert.ok(Math.abs(streamRow!.costUsd - (streamRow!.inputTokens + streamRow!.outputTokens) * 0.00001) < 1e-12, JSON.stringify(streamRow));
    assert.equal(streamRow!.tokensEstimated, false);

    const { data: embedded, response: embedResponse } = await client.embeddings.create({ model: 'routed-embed', input: ['what does an embedding cost?', 'and two?'] }).withResponse();
    const embedRow = await gateway.ledgerRow(embedResponse);
    assert.equal(embedRow!.inputTokens, embedded.usage.prompt_tokens);
    assert.ok(embedRow!.inputTokens > 0);
    assert.ok(Math.abs(embedRow!.costUsd - embedRow!.inputTokens * 0.00001) < 1e-12, `${embedRow!.costUsd} against ${embedRow!.inputTokens * 0.00001}`);
    assert.equal(Number(embedResponse.headers.get('x-switchboard-cost-usd')), embedRow!.costUsd);
    assert.deepStrictEqual(embedRow!.warnings, []);
  });

  it('registers every OpenAI-style type the spec names, with its documented default base URL', () => {
    const expected: Record<string, string | undefined> = {
      openai: 'https://api.openai.com/v1',
      groq: 'https://api.groq.com/openai/v1',
      deepseek: 'https://api.deepseek.com/v1',
      together: 'https://api.together.xyz/v1',
      openrouter: 'https://openrouter.ai/api/v1',
      ollama: 'http://127.0.0.1:11434/v1',
      'azure-openai': undefined,
      'openai-compatible': undefined,
    };
    for (const [type, url] of Object.entries(expected)) {
      const definition = providerDefinitions.get(type);
      assert.ok(definition, `provider type ${type} is not registered`);
      assert.equal(definition.defaultBaseUrl, url, type);
    }
    for (const type of ['anthropic', 'gemini', 'bedrock', 'mistral', 'cohere']) assert.ok(providerDefinitions.get(type), type);
  });
});
