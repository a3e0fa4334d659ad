import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';
import { openaiClient } from '../helpers/openai-client.ts';

const masterKey = 'sb-hints-master';
const price = (input: number, output: number) => ({ input_per_mtok: input, output_per_mtok: output });

/**
 * OpenRouter's `provider` object in the request body (../shared/SPEC.md "Routing hints",
 * docs/routing.md): `sort` and `order` reorder a route's candidates, `data_collection: "deny"`
 * removes the ones whose provider retains data. Every route here is `ordered`, so without a hint
 * the first candidate in the config answers.
 */
describe('OpenRouter provider hints: sort, order, data_collection (real gateway, official openai SDK)', () => {
  let east: OpenAISimulator;
  let west: OpenAISimulator;
  let vault: OpenAISimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    east = await new OpenAISimulator({ apiKey: 'east-key', models: ['pricey-model', 'slow-model'], delays: { 'slow-model': 250 } }).start();
    west = await new OpenAISimulator({ apiKey: 'west-key', models: ['budget-model', 'quick-model'] }).start();
    vault = await new OpenAISimulator({ apiKey: 'vault-key', models: ['sealed-model'] }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        // Cloud providers retain data unless their data_policy says otherwise (docs/configuration.md).
        { id: 'east', type: 'openai', base_url: east.url, api_key: 'east-key' },
        { id: 'west', type: 'openai-compatible', base_url: west.url, api_key: 'west-key' },
        { id: 'vault', type: 'openai-compatible', base_url: vault.url, api_key: 'vault-key', data_policy: { retains_data: false } },
      ],
      models: [
        { id: 'pricey', provider: 'east', upstream: 'pricey-model', pricing: price(5, 15) },
        { id: 'budget', provider: 'west', upstream: 'budget-model', pricing: price(0.1, 0.2) },
        { id: 'slow', provider: 'east', upstream: 'slow-model', pricing: price(1, 1) },
        { id: 'quick', provider: 'west', upstream: 'quick-model', pricing: price(1, 1) },
        { id: 'sealed', provider: 'vault', upstream: 'sealed-model', pricing: price(9, 30) },
      ],
      routes: [
        { id: 'priced', strategy: 'ordered', candidates: ['pricey', 'budget'] },
        { id: 'timed', strategy: 'ordered', candidates: ['slow', 'quick'] },
        { id: 'private', strategy: 'ordered', candidates: ['pricey', 'sealed'] },
        { id: 'retaining', strategy: 'ordered', candidates: ['pricey', 'budget'] },
        { id: 'three', strategy: 'ordered', candidates: ['pricey', 'budget', 'sealed'] },
      ],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, east, west, vault));

  /** The model that answered a chat sent with these provider hints (none when undefined). */
  const answeredBy = async (model: string, provider?: Record<string, unknown>) => {
    const body = { model, messages: [{ role: 'user' as const, content: 'hello' }], ...(provider ? { provider } : {}) };
    const { response } = await client.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming).withResponse();
    return response.headers.get('x-switchboard-model');
  };

  // An outside routing probe: a route id in `models` was dropped without a word, as was a name
  // that is nothing at all.
  it('models: a route id brings its candidates, an unknown name is a 400 naming it, and no provider is called', async () => {
    const explained = await rawPost<{ order: string[] }>(gateway.origin, '/v1/route/explain', { model: 'sealed', models: ['timed'], messages: [{ role: 'user', content: 'hello' }] }, { key: masterKey });
    assert.equal(explained.status, 200, explained.text);
    assert.deepEqual(explained.body.order, ['sealed', 'slow', 'quick']);
    const calls = east.chatCalls().length + west.chatCalls().length + vault.chatCalls().length;
    const unknown = await rawPost<{ error: { message: string; param: string } }>(gateway.origin, '/v1/chat/completions', { model: 'sealed', models: ['budget', 'nonesuch'], messages: [{ role: 'user', content: 'hello' }] }, { key: masterKey });
    assert.equal(unknown.status, 400, unknown.text);
    assert.match(unknown.body.error.message, /models\[1\].*nonesuch/);
    assert.equal(unknown.body.error.param, 'models');
    assert.equal(east.chatCalls().length + west.chatCalls().length + vault.chatCalls().length, calls);
  });

  it('provider.sort "price" tries the cheapest candidate first', async () => {
    assert.equal(await answeredBy('priced'), 'pricey', 'without a hint the route order holds');
    assert.equal(await answeredBy('priced', { sort: 'price' }), 'budget');
  });

  it('provider.sort "latency" and "throughput" try the candidate that has answered fastest first', async () => {
    // Each model answers once directly, so the gateway has measured both.
    assert.equal(await answeredBy('slow'), 'slow');
    assert.equal(await answeredBy('quick'), 'quick');
    assert.equal(await answeredBy('timed'), 'slow', 'without a hint the route order holds');
    assert.equal(await answeredBy('timed', { sort: 'latency' }), 'quick');
    assert.equal(await answeredBy('timed', { sort: 'throughput' }), 'quick');
  });

  it('provider.order puts the named providers (by id or type) first, in the order given', async () => {
    assert.equal(await answeredBy('priced', { order: ['west'] }), 'budget');
    assert.equal(await answeredBy('priced', { order: ['openai-compatible'] }), 'budget');
    assert.equal(await answeredBy('priced', { order: ['west', 'east'] }), 'budget');
    assert.equal(await answeredBy('priced', { order: ['east', 'west'] }), 'pricey');
  });

  it('provider.max_price removes candidates priced above it (USD per million tokens)', async () => {
    const eastCalls = east.chatCalls('pricey-model').length;
    assert.equal(await answeredBy('priced', { max_price: { prompt: 1 } }), 'budget');
    assert.equal(await answeredBy('priced', { max_price: { completion: 1 } }), 'budget');
    assert.equal(east.chatCalls('pricey-model').length, eastCalls, 'a candidate above max_price was called');
    assert.equal(await answeredBy('priced', { max_price: { prompt: 5, completion: 15 } }), 'pricey', 'a price equal to the cap is under it');
  });

  it('provider fields it does not act on are taken, as OpenRouter takes them, and named in a ledger warning', async () => {
    const provider = { require_parameters: true, quantizations: ['fp8'], max_price: { prompt: 1, request: 0.01 } };
    const body = { model: 'priced', messages: [{ role: 'user' as const, content: 'hello' }], provider };
    const answer = await client.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming).withResponse();
    assert.equal(answer.response.headers.get('x-switchboard-model'), 'budget', 'the fields it acts on still do');
    const row = await gateway.ledgerRow(answer.response);
    const warning = row?.warnings.find((entry) => entry.setting === 'provider');
    assert.match(warning?.message ?? '', /does not act on provider\.require_parameters, provider\.quantizations, provider\.max_price\.request: /);
    // Without such fields, no warning.
    const plain = await client.chat.completions.create({ model: 'priced', messages: [{ role: 'user', content: 'hello' }], provider: { max_price: { prompt: 1 } } } as OpenAI.ChatCompletionCreateParamsNonStreaming).withResponse();
    assert.equal((await gateway.ledgerRow(plain.response))?.warnings.length, 0);
  });

  it('provider.data_collection "deny" removes candidates whose provider retains data, before any call', async () => {
    const eastCalls = east.chatCalls('pricey-model').length;
    assert.equal(await answeredBy('private', { data_collection: 'deny' }), 'sealed');
    assert.equal(east.chatCalls('pricey-model').length, eastCalls, 'a provider that retains data was called');
    assert.equal(await answeredBy('private', { data_collection: 'allow' }), 'pricey');
    assert.equal(await answeredBy('private'), 'pricey');

    const { body } = await rawPost<{ candidates: Array<{ model: string; removed_by?: string }> }>(
      gateway.origin,
      '/v1/route/explain',
      { model: 'private', messages: [{ role: 'user', content: 'hi' }], provider: { data_collection: 'deny' } },
      { key: masterKey },
    );
    assert.equal(body.candidates.find((candidate) => candidate.model === 'pricey')?.removed_by, 'data-policy');
  });

  it('provider.data_collection "deny" with only data-retaining candidates is refused, and no provider is called', async () => {
    const calls = east.requests.length + west.requests.length;
    await assert.rejects(answeredBy('retaining', { data_collection: 'deny' }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.PermissionDeniedError, `expected a 403, got ${String(error)}`);
      assert.match(error.message, /retains data/);
      return true;
    });
    assert.equal(east.requests.length + west.requests.length, calls);
  });

  // Outside probes: `allow_fallbacks: false` with an `order` of two providers tried only the
  // first, where OpenRouter uses every provider the order lists ("use only the primary/custom
  // provider"); and a body with `models` but no `model`, which OpenRouter takes (the first is
  // the model asked for), was a 400.
  it('provider.allow_fallbacks false keeps the providers provider.order lists, in that order, and only them', async () => {
    const body = { model: 'three', messages: [{ role: 'user', content: 'hello' }], provider: { order: ['west', 'vault'], allow_fallbacks: false } };
    const explained = await rawPost<{ order: string[]; candidates: Array<{ model: string; removed_by?: string }> }>(gateway.origin, '/v1/route/explain', body, { key: masterKey });
    assert.equal(explained.status, 200, explained.text);
    assert.deepEqual(explained.body.order, ['budget', 'sealed']);
    assert.equal(explained.body.candidates.find((candidate) => candidate.model === 'pricey')?.removed_by, 'provider-hints');
    const eastCalls = east.chatCalls().length;
    west.fail({ kind: 'status', status: 500 }, { model: 'budget-model' });
    const { response } = await client.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming).withResponse();
    assert.equal(response.headers.get('x-switchboard-model'), 'sealed', 'the second provider of the order answers when the first fails');
    assert.equal(east.chatCalls().length, eastCalls, 'a provider left out of the order was called');
    // Without an order, the primary alone.
    const alone = await rawPost<{ order: string[] }>(gateway.origin, '/v1/route/explain', { ...body, provider: { allow_fallbacks: false } }, { key: masterKey });
    assert.deepEqual(alone.body.order, ['pricey']);
  });

  it('models without a model: the first is the model asked for, the rest its fallbacks', async () => {
    const body = { models: ['budget', 'sealed'], messages: [{ role: 'user' as const, content: 'hello' }] };
    const explained = await rawPost<{ model: string; order: string[] }>(gateway.origin, '/v1/route/explain', body, { key: masterKey });
    assert.equal(explained.status, 200, explained.text);
    assert.deepEqual([explained.body.model, ...explained.body.order], ['budget', 'budget', 'sealed']);
    west.fail({ kind: 'status', status: 500 }, { model: 'budget-model' });
    const { data, response } = await client.chat.completions.create(body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming).withResponse();
    assert.equal(response.headers.get('x-switchboard-model'), 'sealed');
    assert.equal(data.choices[0]?.message.content, 'Simulated reply from sealed-model: hello');
    const sent = vault.chatCalls().at(-1)?.body as Record<string, unknown>;
    assert.deepEqual(Object.keys(sent).sort(), ['messages', 'model'], 'a hint reached the provider');
  });
});
