import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { AnthropicSimulator } from '../simulators/anthropic/server.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { openaiClient } from '../helpers/openai-client.ts';

const masterKey = 'sb-refusals-master';

/**
 * A request one provider's API cannot take (Anthropic has no `n`, no log probabilities), refused
 * by its adapter before any call, goes to the route's next candidate, as OpenRouter routes only to
 * providers that can honour the request's parameters; the caller gets the refusal (a 400 naming
 * the field) only when no candidate can take it (docs/routing.md).
 */
describe("a provider's refusal of what its API cannot take moves to the next candidate (real gateway, official openai SDK)", () => {
  let anthropic: AnthropicSimulator;
  let openai: OpenAISimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    anthropic = await new AnthropicSimulator().start();
    openai = await new OpenAISimulator({ apiKey: 'openai-key', models: ['gpt-sim'] }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'claude', type: 'anthropic', base_url: anthropic.url, api_key: anthropic.apiKey },
        { id: 'oai', type: 'openai', base_url: openai.url, api_key: 'openai-key' },
      ],
      models: [
        { id: 'sonnet', provider: 'claude', upstream: 'claude-sim-sonnet' },
        { id: 'haiku', provider: 'claude', upstream: 'claude-sim-haiku' },
        { id: 'gpt', provider: 'oai', upstream: 'gpt-sim' },
      ],
      routes: [
        { id: 'mixed', strategy: 'ordered', candidates: ['sonnet', 'gpt'] },
        { id: 'claudes', strategy: 'ordered', candidates: ['sonnet', 'haiku'] },
      ],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, anthropic, openai));

  it('answers n=2 from the candidate that can, with no call to the one that cannot, and the row shows both', async () => {
    const before = anthropic.messageCalls().length;
    const { data, response } = await client.chat.completions.create({ model: 'mixed', n: 2, messages: [{ role: 'user', content: 'two answers?' }] }).withResponse();
    assert.equal(data.choices.length, 2);
    assert.equal(response.headers.get('x-switchboard-model'), 'gpt');
    assert.equal(anthropic.messageCalls().length, before, 'the refused request reached no provider');
    const row = (await gateway.ledgerRow(response))!;
    assert.deepStrictEqual(
      row.attempts.map((attempt) => [attempt.model, attempt.outcome, attempt.errorCode ?? null]),
      [
        ['sonnet', 'error', 'SB_ERR_INVALID_REQUEST'],
        ['gpt', 'ok', null],
      ],
    );
  });

  it('answers 400 naming the field when no candidate can take it, or when the model was named directly', async () => {
    for (const model of ['claudes', 'sonnet']) {
      await assert.rejects(client.chat.completions.create({ model, n: 2, messages: [{ role: 'user', content: 'two answers?' }] }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError, model);
        assert.equal(error.param, 'n', model);
        assert.match(error.message, /one choice only; n=2 is not supported by this model's provider/, model);
        return true;
      });
    }
    const streamed = client.chat.completions.create({ model: 'claudes', n: 2, stream: true, messages: [{ role: 'user', content: 'two answers?' }] });
    await assert.rejects(streamed, (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === 'n');
  });
});
