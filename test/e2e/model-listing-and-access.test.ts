import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { adminClient } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost, rawRequest } from '../helpers/http.ts';
import { openaiClient } from '../helpers/openai-client.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { loadCatalog } from '../../src/catalog/index.ts';

const masterKey = 'sb-master-model-listing';
const hi = [{ role: 'user', content: 'hi' }];

interface ModelList {
  object: string;
  data: Array<{ id: string; object: string; created: number; owned_by: string }>;
}

/**
 * ../shared/SPEC.md: GET /v1/models lists every model and route id the caller's key may use, and
 * any configured provider's model can be called as `<provider id>/<upstream model>`: those
 * addresses are listed too, for the provider's catalog models (as OpenRouter lists
 * `provider/model` ids). Errors: 403 for a model the key may not use, 404 for one that does not
 * exist, whatever the key (an outside probe found 403 for unknown models on restricted keys).
 */
describe('GET /v1/models and the unknown-or-forbidden model answers', () => {
  let simulator: OpenAISimulator;
  let compatible: OpenAISimulator;
  let gateway: TestGateway;
  let openaiCatalog: string[];
  const keys: Record<string, string> = {};

  const list = async (key: string) => {
    const answer = await rawRequest<ModelList>('GET', gateway.origin, '/v1/models', undefined, { key });
    assert.equal(answer.status, 200, answer.text);
    return answer.body;
  };

  before(async () => {
    openaiCatalog = (await loadCatalog()).entriesFor('openai').map((entry) => entry.model);
    simulator = await new OpenAISimulator().start();
    compatible = await new OpenAISimulator({ apiKey: 'vllm-key', acceptUnknownFields: true, models: ['qwen'] }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey },
        // No catalog models: nothing of it is listed but its configured model.
        { id: 'vllm', type: 'openai-compatible', base_url: compatible.url, api_key: 'vllm-key' },
      ],
      models: [
        { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini' },
        { id: 'smart', provider: 'oai', upstream: 'gpt-4o' },
        { id: 'local', provider: 'vllm', upstream: 'qwen' },
        // A model id that is also an address: listed once, as the model.
        { id: 'oai/gpt-4o', provider: 'oai', upstream: 'gpt-4o' },
        { id: 'embed', provider: 'oai', upstream: 'text-embedding-3-small' },
      ],
      routes: [{ id: 'auto', strategy: 'ordered', candidates: ['fast', 'smart'] }],
      // A name that is no model or route, which a rule routes: it exists, for whoever may use it.
      rules: [{ when: { model: 'by-rule' }, route: 'auto' }],
    });
    const admin = adminClient(gateway.origin, masterKey);
    for (const [name, models] of Object.entries({ addresses: ['fast', 'oai/*'], fastOnly: ['fast'], embedOnly: ['embed'] })) {
      const created = await admin.post<{ key: string }>('/admin/keys', { name, models });
      assert.equal(created.status, 201, created.text);
      keys[name] = created.body.key;
    }
    const budgeted = await admin.post<{ key: string }>('/admin/keys', { name: 'budgeted', models: ['fast', 'local', 'auto'], budget_usd: 5 });
    assert.equal(budgeted.status, 201, budgeted.text);
    keys.budgeted = budgeted.body.key;
  });

  after(() => closeAll(gateway, simulator, compatible));

  it("lists a key's `<provider>/<model>` addresses after its model ids, in OpenAI's list shape", async () => {
    const listed = await list(keys.addresses!);
    assert.equal(listed.object, 'list');
    const ids = listed.data.map((model) => model.id);
    assert.deepEqual(ids, ['fast', 'oai/gpt-4o', ...openaiCatalog.filter((model) => model !== 'gpt-4o').map((model) => `oai/${model}`)]);
    for (const model of listed.data) {
      assert.deepEqual(Object.keys(model), ['id', 'object', 'created', 'owned_by']);
      assert.equal(model.object, 'model');
      assert.equal(typeof model.created, 'number');
      assert.equal(model.owned_by, 'oai');
    }
    // What is listed answers, and can be read on its own.
    const client = openaiClient(gateway, keys.addresses!);
    const answer = await client.chat.completions.create({ model: 'oai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.choices[0]?.message.content, 'Simulated reply from gpt-4o-mini: hi');
    assert.equal((await client.models.retrieve('oai/gpt-4.1')).owned_by, 'oai');
    await assert.rejects(client.models.retrieve('vllm/qwen'), OpenAI.NotFoundError);
  });

  it('lists for the master key every model and route id first, then every provider\'s catalog addresses', async () => {
    const ids = (await list(masterKey)).data.map((model) => model.id);
    assert.deepEqual(ids.slice(0, 6), ['fast', 'smart', 'local', 'oai/gpt-4o', 'embed', 'auto']);
    assert.deepEqual(ids.slice(6), openaiCatalog.filter((model) => model !== 'gpt-4o').map((model) => `oai/${model}`));
    assert.equal(new Set(ids).size, ids.length, 'each id once');
  });

  it('lists no address to a key whose globs allow none', async () => {
    assert.deepEqual((await list(keys.fastOnly!)).data.map((model) => model.id), ['fast']);
  });

  it('lists no model without a known price to a key with a budget, which may not use one', async () => {
    // Was: `local` (no catalog entry, no pricing) was listed, and naming it was a 403 model_price_unknown.
    assert.deepEqual((await list(keys.budgeted!)).data.map((model) => model.id), ['fast', 'auto']);
    const refused = await rawPost<{ error: { code: string } }>(gateway.origin, '/v1/chat/completions', { model: 'local', messages: hi }, { key: keys.budgeted! });
    assert.deepEqual([refused.status, refused.body.error.code], [403, 'model_price_unknown']);
    const retrieved = await rawRequest('GET', gateway.origin, '/v1/models/local', undefined, { key: keys.budgeted! });
    assert.equal(retrieved.status, 404);
  });

  it('answers 404 for an unknown model whatever the key, and 403 for a known one the key may not use', async () => {
    const chat = (model: string, key: string) => rawPost<{ error: { code: string; type: string } }>(gateway.origin, '/v1/chat/completions', { model, messages: hi }, { key });
    for (const key of [masterKey, keys.fastOnly!, keys.addresses!]) {
      for (const model of ['no-such-model', 'ghost/gpt-4o']) {
        const answer = await chat(model, key);
        assert.equal(answer.status, 404, `${model}: ${answer.text}`);
        assert.equal(answer.body.error.code, 'model_not_found');
      }
    }
    for (const model of ['smart', 'auto', 'oai/gpt-4o-mini', 'vllm/qwen', 'by-rule']) {
      const answer = await chat(model, keys.fastOnly!);
      assert.equal(answer.status, 403, `${model}: ${answer.text}`);
      assert.equal(answer.body.error.code, 'model_not_allowed');
    }
    assert.equal((await chat('by-rule', masterKey)).status, 200, "the rule's name answers for a key that may use it");

    const messages = (model: string, key: string) => rawPost<{ error: { type: string } }>(gateway.origin, '/v1/messages', { model, max_tokens: 8, messages: hi }, { key });
    assert.deepEqual([(await messages('no-such-model', keys.fastOnly!)).status, (await messages('no-such-model', keys.fastOnly!)).body.error.type], [404, 'not_found_error']);
    assert.equal((await messages('smart', keys.fastOnly!)).status, 403);
    // count_tokens answers for the model as /v1/messages does (it counted any name).
    const count = (model: string, key: string) => rawPost<{ input_tokens?: number; error?: { type: string } }>(gateway.origin, '/v1/messages/count_tokens', { model, messages: hi }, { key });
    assert.deepEqual((await count('no-such-model', keys.fastOnly!)).body.error?.type, 'not_found_error');
    assert.deepEqual([(await count('smart', keys.fastOnly!)).status, (await count('by-rule', masterKey)).status, (await count('fast', keys.fastOnly!)).status], [403, 200, 200]);

    const embeddings = (model: string, key: string) => rawPost(gateway.origin, '/v1/embeddings', { model, input: 'hi' }, { key });
    assert.equal((await embeddings('no-such-embedder', keys.embedOnly!)).status, 404);
    assert.equal((await embeddings('oai/text-embedding-3-large', keys.embedOnly!)).status, 403);
    assert.equal((await embeddings('embed', keys.embedOnly!)).status, 200);

    const explain = (model: string) => rawPost(gateway.origin, '/v1/route/explain', { model, messages: hi }, { key: keys.fastOnly! });
    assert.deepEqual([(await explain('no-such-model')).status, (await explain('smart')).status], [404, 403]);
    // A models hint naming a model the key may not use: it is named as removed, and nothing of
    // its deployment (provider, upstream, prices) is told to this key.
    const hinted = await rawPost<{ candidates: Array<Record<string, unknown>> }>(gateway.origin, '/v1/route/explain', { model: 'fast', models: ['smart'], messages: hi }, { key: keys.fastOnly! });
    assert.equal(hinted.status, 200, hinted.text);
    const smart = hinted.body.candidates.find((candidate) => candidate.model === 'smart');
    assert.equal(smart?.removed_by, 'key-allow-list');
    assert.deepEqual(Object.keys(smart!).filter((field) => ['provider', 'upstream', 'estimated_cost_usd', 'context_window', 'quality'].includes(field)), []);
    assert.equal(hinted.body.candidates.find((candidate) => candidate.model === 'fast')?.upstream, 'gpt-4o-mini');
  });
});
