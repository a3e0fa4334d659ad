import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { adminClient } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';

const masterKey = 'sb-cache-scope-master';

/**
 * Which requests may share a cached answer (docs/routing.md "Response cache"): the same body
 * from the same team (or key), with the same routing metadata and OpenRouter hints, and only
 * an answer of a model the request may use. Outside probes found a team reading another's
 * answers (a hit also tells what the other asked), `provider.order: ["local"]` answered by the
 * cloud model's cached answer, and a rule requiring on-prem providers answered from a cloud
 * model's entry.
 */
describe('response cache: what must not share an answer (real gateway)', () => {
  let cloud: OpenAISimulator;
  let local: OpenAISimulator;
  let gateway: TestGateway;
  const keys: Record<string, string> = {};

  before(async () => {
    cloud = await new OpenAISimulator({ apiKey: 'cloud-key' }).start();
    local = await new OpenAISimulator({ apiKey: 'local-key' }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'cloud', type: 'openai', base_url: cloud.url, api_key: 'cloud-key' },
        { id: 'local', type: 'openai-compatible', base_url: local.url, api_key: 'local-key', data_policy: { on_prem: true } },
      ],
      models: [
        { id: 'fast', provider: 'cloud', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 1, output_per_mtok: 2 } },
        { id: 'onprem', provider: 'local', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 0, output_per_mtok: 0 } },
      ],
      routes: [{ id: 'cached', strategy: 'ordered', candidates: ['fast', 'onprem'], cache: { ttl_s: 60 } }],
      rules: [{ when: { 'header.x-sensitive': 'yes' }, require: { on_prem: true } }],
    });
    const admin = adminClient(gateway.origin, masterKey);
    for (const [name, team] of [['red1', 'red'], ['red2', 'red'], ['blue', 'blue']] as const) {
      const created = await admin.post<{ key: string }>('/admin/keys', { name, team });
      assert.equal(created.status, 201, created.text);
      keys[name] = created.body.key;
    }
  });
  after(() => closeAll(gateway, cloud, local));

  const ask = async (key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const answer = await rawPost(gateway.origin, '/v1/chat/completions', { model: 'cached', ...body }, { key, headers });
    assert.equal(answer.status, 200, answer.text);
    return { cache: answer.headers.get('x-switchboard-cache'), model: answer.headers.get('x-switchboard-model') };
  };

  it('shares answers within a team, never across teams', async () => {
    const body = { messages: [{ role: 'user', content: 'our launch date is secret' }] };
    assert.equal((await ask(keys.red1!, body)).cache, 'miss');
    assert.equal((await ask(keys.red2!, body)).cache, 'hit', 'a key of the same team');
    const calls = cloud.chatCalls().length;
    assert.equal((await ask(keys.blue!, body)).cache, 'miss', "another team's answer was served");
    assert.equal(cloud.chatCalls().length, calls + 1);
    assert.equal((await ask(masterKey, body)).cache, 'miss', "the master key read a team's answer");
  });

  it('misses when the OpenRouter hints or the routing metadata differ', async () => {
    const body = { messages: [{ role: 'user', content: 'hinted' }] };
    assert.deepEqual(await ask(masterKey, body), { cache: 'miss', model: 'fast' });
    assert.deepEqual(await ask(masterKey, { ...body, provider: { order: ['local'] } }), { cache: 'miss', model: 'onprem' });
    assert.deepEqual(await ask(masterKey, { ...body, provider: { order: ['local'] } }), { cache: 'hit', model: 'onprem' });
    assert.equal((await ask(masterKey, { ...body, models: ['onprem'] })).cache, 'miss');
    assert.equal((await ask(masterKey, { ...body, metadata: { task: 'code' } })).cache, 'miss');
    assert.equal((await ask(masterKey, body, { 'x-switchboard-metadata': '{"task":"code"}' })).cache, 'hit', 'the header metadata is the body metadata');
  });

  it('serves only an answer of a model the request may use', async () => {
    const body = { messages: [{ role: 'user', content: 'sensitive?' }] };
    assert.deepEqual(await ask(masterKey, body), { cache: 'miss', model: 'fast' });
    // The rule that requires on-prem providers matches a header, which is not part of the key.
    assert.deepEqual(await ask(masterKey, body, { 'x-sensitive': 'yes' }), { cache: 'miss', model: 'onprem' });
  });
});
