import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { OpenAISimulator, openAIModels } from '../simulators/openai/server.ts';

/**
 * The OpenAI simulator is only worth testing the gateway against if it refuses what the real API
 * refuses. These talk to it directly with the official SDK.
 */
describe('the OpenAI simulator refuses what the real API refuses (official openai SDK)', () => {
  let strict: OpenAISimulator;
  let compatible: OpenAISimulator;
  let client: OpenAI;

  before(async () => {
    strict = await new OpenAISimulator().start();
    compatible = await new OpenAISimulator({ apiKey: 'vllm-key', acceptUnknownFields: true, models: ['qwen'] }).start();
    client = new OpenAI({ baseURL: strict.url, apiKey: strict.apiKey, maxRetries: 0 });
  });

  after(async () => {
    await Promise.all([strict.close(), compatible.close()]);
  });

  /** The error body the SDK raised for a chat request. */
  async function refusal(body: Record<string, unknown>, on: OpenAI = client): Promise<{ status: number | undefined; error: unknown }> {
    try {
      await on.chat.completions.create(body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming);
    } catch (error) {
      assert.ok(error instanceof OpenAI.APIError, String(error));
      return { status: error.status, error: error.error };
    }
    assert.fail('the simulator accepted the request');
  }

  it('answers 404 model_not_found, in OpenAI\'s error shape, for a model that does not exist', async () => {
    const { status, error } = await refusal({ model: 'gpt-9-turbo', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(status, 404);
    assert.deepEqual(error, { message: 'The model `gpt-9-turbo` does not exist or you do not have access to it.', type: 'invalid_request_error', param: null, code: 'model_not_found' });
    const embedding = await client.embeddings.create({ model: 'text-embedding-9', input: 'hi' }).then(() => undefined, (thrown: unknown) => thrown);
    assert.ok(embedding instanceof OpenAI.NotFoundError);
  });

  it('knows the models it was given, and lists them', async () => {
    const listed = [];
    for await (const model of client.models.list()) listed.push(model.id);
    assert.deepEqual(listed, [...openAIModels]);
    const local = new OpenAI({ baseURL: compatible.url, apiKey: 'vllm-key', maxRetries: 0 });
    const answer = await local.chat.completions.create({ model: 'qwen', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.choices[0]?.message.content, 'Simulated reply from qwen: hi');
    assert.equal((await refusal({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, local)).status, 404);
  });

  it('answers 400 for a field a message of that role does not have, naming the message', async () => {
    const { status, error } = await refusal({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi', id: 'msg_1' }] });
    assert.equal(status, 400);
    assert.deepEqual(error, { message: "Additional properties are not allowed ('id' was unexpected) - 'messages.0'", type: 'invalid_request_error', param: null, code: null });
    const history = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello', reasoning_content: 'the user greeted me', cache_control: { type: 'ephemeral' } },
    ];
    const several = await refusal({ model: 'gpt-4o-mini', messages: history });
    assert.match((several.error as { message: string }).message, /^Additional properties are not allowed \('reasoning_content', 'cache_control' were unexpected\) - 'messages\.1'$/);
    // tool_call_id belongs to tool messages only.
    const misplaced = await refusal({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi', tool_call_id: 'call_1' }] });
    assert.equal(misplaced.status, 400);
  });

  it('accepts every field the spec gives each role', async () => {
    const answer = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'developer', content: 'Be brief.', name: 'ops' },
        { role: 'system', content: [{ type: 'text', text: 'Answer in English.' }], name: 'ops' },
        { role: 'user', content: 'weather?', name: 'ann' },
        { role: 'assistant', content: null, refusal: null, name: 'bot', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
    });
    assert.equal(answer.choices[0]?.message.content, 'The tool call_1 said: sunny');
  });

  it('accepts unknown message fields when it plays a lenient compatible server', async () => {
    const local = new OpenAI({ baseURL: compatible.url, apiKey: 'vllm-key', maxRetries: 0 });
    const answer = await local.chat.completions.create({ model: 'qwen', messages: [{ role: 'user', content: 'hi', id: 'msg_1' } as OpenAI.ChatCompletionUserMessageParam] });
    assert.equal(answer.choices[0]?.message.content, 'Simulated reply from qwen: hi');
  });
});
