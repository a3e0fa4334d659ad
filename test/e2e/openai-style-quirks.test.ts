import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { anthropicClient } from '../helpers/anthropic-client.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { collectStream, openaiClient } from '../helpers/openai-client.ts';

/**
 * What Azure OpenAI, Groq and OpenAI itself do differently, seen by callers of both ingress
 * formats through the official SDKs: Azure's prompt-annotation chunk and its v1 API, the fields
 * Groq refuses, and the stop sequences OpenAI caps.
 */
describe('OpenAI-style provider quirks, through the official SDKs', () => {
  let azure: OpenAISimulator;
  let groq: OpenAISimulator;
  let openai: OpenAISimulator;
  let deepseek: OpenAISimulator;
  let gateway: TestGateway;
  let client: OpenAI;
  let anthropic: Anthropic;

  before(async () => {
    azure = await new OpenAISimulator({ apiKey: 'azure-key', azureApiVersion: '2024-10-21' }).start();
    groq = await new OpenAISimulator({ apiKey: 'gsk-key', groq: true, models: ['openai/gpt-oss-20b'] }).start();
    openai = await new OpenAISimulator().start();
    deepseek = await new OpenAISimulator({ apiKey: 'ds-key', deepseek: true, acceptUnknownFields: true, models: ['deepseek-reasoner'] }).start();
    gateway = await startGateway({
      providers: [
        { id: 'az', type: 'azure-openai', base_url: azure.url, api_key: 'azure-key' },
        { id: 'az-v1', type: 'azure-openai', base_url: `${azure.url}/openai/v1`, api_key: 'azure-key' },
        { id: 'fastinfer', type: 'groq', base_url: groq.url, api_key: 'gsk-key' },
        { id: 'oai', type: 'openai', base_url: openai.url, api_key: openai.apiKey },
        { id: 'ds', type: 'deepseek', base_url: deepseek.url, api_key: 'ds-key' },
      ],
      models: [
        { id: 'azure-4o', provider: 'az', upstream: 'my-gpt4o-deployment' },
        { id: 'azure-v1', provider: 'az-v1', upstream: 'gpt-4.1-nano-prod' },
        { id: 'oss', provider: 'fastinfer', upstream: 'openai/gpt-oss-20b' },
        { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini' },
        { id: 'reasoner', provider: 'ds', upstream: 'deepseek-reasoner' },
      ],
    });
    client = openaiClient(gateway, 'open');
    anthropic = anthropicClient(gateway, 'open');
  });
  after(() => closeAll(gateway, azure, groq, openai, deepseek));

  it("azure-openai: an Anthropic caller's stream is named after the model that answered, not Azure's empty prompt annotation", async () => {
    const stream = anthropic.messages.stream({ model: 'azure-4o', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    let started: Anthropic.Message | undefined;
    stream.on('streamEvent', (event) => {
      if (event.type === 'message_start') started = event.message;
    });
    const message = await stream.finalMessage();
    assert.equal(started?.model, 'my-gpt4o-deployment-2024-sim');
    assert.ok(started?.id.length && started.id !== 'msg_');
    assert.deepEqual(message.content.map((block) => (block.type === 'text' ? block.text : block.type)), ['Simulated reply from my-gpt4o-deployment: hi']);
    // An OpenAI caller still gets every chunk Azure sent, the annotation included.
    const chunks = await client.chat.completions.create({ model: 'azure-4o', stream: true, messages: [{ role: 'user', content: 'yo' }] });
    assert.equal((await collectStream(chunks)).text, 'Simulated reply from my-gpt4o-deployment: yo');
  });

  it('azure-openai: a base_url ending in /openai/v1 is the v1 API (deployment as model, no api-version)', async () => {
    const answer = await client.chat.completions.create({ model: 'azure-v1', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.choices[0]?.message.content, 'Simulated reply from gpt-4.1-nano-prod: hi');
    const call = azure.requests.at(-1)!;
    assert.equal(call.path, '/openai/v1/chat/completions');
    assert.equal(call.body?.model, 'gpt-4.1-nano-prod');
    assert.equal(call.headers['api-key'], 'azure-key');
  });

  it('groq: a history with participant names and earlier reasoning is answered, without the fields Groq refuses', async () => {
    const messages = [
      { role: 'user', content: 'hi', name: 'ann' },
      { role: 'assistant', content: 'Hello', reasoning_content: 'A greeting.' },
      { role: 'user', content: 'again' },
    ] as OpenAI.ChatCompletionMessageParam[];
    const answer = await client.chat.completions.create({ model: 'oss', messages });
    assert.equal(answer.choices[0]?.message.content, 'Simulated reply from openai/gpt-oss-20b: again');
    const sent = groq.requests.at(-1)!.body?.messages as Array<Record<string, unknown>>;
    assert.deepEqual(sent, [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'again' },
    ]);
  });

  it('groq: n > 1 and logprobs are refused by the gateway with a 400 naming the field, before any call', async () => {
    const before = groq.requests.length;
    for (const [fields, param] of [[{ n: 2 }, 'n'], [{ logprobs: true, top_logprobs: 3 }, 'logprobs']] as const) {
      await assert.rejects(
        client.chat.completions.create({ model: 'oss', messages: [{ role: 'user', content: 'hi' }], ...fields }),
        (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === param && /Groq/.test(error.message),
      );
    }
    assert.equal(groq.requests.length, before);
  });

  it("openai: an Anthropic caller's five stop sequences are a 400 from the gateway, not a provider's refusal", async () => {
    const before = openai.requests.length;
    await assert.rejects(
      anthropic.messages.create({ model: 'fast', max_tokens: 50, stop_sequences: ['a', 'b', 'c', 'd', 'e'], messages: [{ role: 'user', content: 'hi' }] }),
      (error: unknown) => error instanceof Anthropic.BadRequestError && /at most 4 stop sequences/.test(error.message),
    );
    assert.equal(openai.requests.length, before);
    const answer = await anthropic.messages.create({ model: 'fast', max_tokens: 50, stop_sequences: ['a', 'b', 'c', 'd'], messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.type, 'message');
  });

  it("deepseek: a tool loop in thinking mode sends each tool turn's reasoning back, from an OpenAI caller as from an Anthropic one", async () => {
    const lookup = { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } };
    const question = { role: 'user' as const, content: 'look it up' };
    const first = (await client.chat.completions.create({ model: 'reasoner', messages: [question], tools: [{ type: 'function', function: lookup }] })).choices[0]!.message;
    const reasoning = (first as { reasoning_content?: string }).reasoning_content;
    assert.equal(reasoning, 'I should call lookup.');
    const call = first.tool_calls![0]!;
    const turn = { role: 'assistant', content: first.content, tool_calls: first.tool_calls, reasoning_content: reasoning } as OpenAI.ChatCompletionAssistantMessageParam;
    const second = await client.chat.completions.create({ model: 'reasoner', tools: [{ type: 'function', function: lookup }], messages: [question, turn, { role: 'tool', tool_call_id: call.id, content: '42' }] });
    assert.equal(second.choices[0]?.message.content, `The tool ${call.id} said: 42`);

    const tools = [{ name: lookup.name, input_schema: lookup.parameters as Anthropic.Tool.InputSchema }];
    const asked = await anthropic.messages.create({ model: 'reasoner', max_tokens: 200, tools, messages: [question] });
    assert.deepEqual(asked.content.map((block) => block.type), ['thinking', 'tool_use']);
    assert.equal(asked.content[0]?.type === 'thinking' && asked.content[0].thinking, 'I should call lookup.');
    const toolUse = asked.content.find((block) => block.type === 'tool_use')!;
    const answered = await anthropic.messages.create({
      model: 'reasoner',
      max_tokens: 200,
      tools,
      messages: [question, { role: 'assistant', content: asked.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '42' }] }],
    });
    assert.deepEqual(answered.content.map((block) => (block.type === 'text' ? block.text : block.type)), ['thinking', `The tool ${toolUse.id} said: 42`]);
    assert.equal((deepseek.requests.at(-1)!.body?.messages as Array<Record<string, unknown>>)[1]!.reasoning_content, 'I should call lookup.');
  });
});
