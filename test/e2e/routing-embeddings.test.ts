import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { openaiClient } from '../helpers/openai-client.ts';

const masterKey = 'sb-embeddings-routing-master';

/**
 * /v1/embeddings is "routed like chat" (../shared/SPEC.md "HTTP API"): rules apply to it as to a
 * chat, and a route's filters judge what an embeddings request needs of a model.
 */
describe('embeddings routing: rules and context windows (real gateway, official openai SDK)', () => {
  let cloud: OpenAISimulator;
  let lab: OpenAISimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    cloud = await new OpenAISimulator({ apiKey: 'cloud-key', models: ['text-embedding-3-small', 'text-embedding-3-large'] }).start();
    lab = await new OpenAISimulator({ apiKey: 'lab-key', acceptUnknownFields: true, models: ['local-embed'] }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'cloud', type: 'openai', base_url: cloud.url, api_key: 'cloud-key' },
        { id: 'lab', type: 'openai-compatible', base_url: lab.url, api_key: 'lab-key', data_policy: { on_prem: true, retains_data: false } },
      ],
      models: [
        { id: 'small', provider: 'cloud', upstream: 'text-embedding-3-small' },
        { id: 'large', provider: 'cloud', upstream: 'text-embedding-3-large' },
        { id: 'local-embed', provider: 'lab', upstream: 'local-embed', capabilities: ['embeddings'], context_window: 512 },
      ],
      routes: [
        { id: 'embed', strategy: 'ordered', candidates: ['small', 'local-embed'] },
        { id: 'embed-cheap', strategy: 'cost', candidates: ['small', 'large'] },
      ],
      rules: [
        { when: { 'metadata.sensitive': 'true' }, require: { on_prem: true } },
        { when: { 'metadata.blocked': 'yes' }, deny: 'Blocked by policy for this test.' },
        { when: { 'metadata.env': 'local' }, route: 'local-embed' },
      ],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(async () => {
    await gateway.close();
    await Promise.all([cloud.close(), lab.close()]);
  });

  it('rules: a sensitive embeddings request stays on-prem, from the body or the header', async () => {
    // Was: rules were never evaluated for embeddings, so the text went to the cloud provider.
    const fromBody = await client.embeddings.create({ model: 'embed', input: 'a secret', metadata: { sensitive: 'true' } } as never).withResponse();
    assert.equal(fromBody.response.headers.get('x-switchboard-model'), 'local-embed');
    const fromHeader = await client.embeddings.create({ model: 'embed', input: 'a secret' }, { headers: { 'x-switchboard-metadata': '{"sensitive":"true"}' } }).withResponse();
    assert.equal(fromHeader.response.headers.get('x-switchboard-model'), 'local-embed');
    assert.match((await gateway.ledgerRow(fromHeader.response))?.reason ?? '', /^rules\[0\] matched; /);
    assert.equal(cloud.requests.filter((request) => request.path.endsWith('/embeddings') && JSON.stringify(request.body).includes('a secret')).length, 0);
    // Named directly, a cloud model is refused rather than sent the text.
    await assert.rejects(client.embeddings.create({ model: 'small', input: 'a secret', metadata: { sensitive: 'true' } } as never), (error: unknown) => error instanceof OpenAI.APIError && error.status === 403);
  });

  it('rules: deny answers 403 and route sends the request elsewhere', async () => {
    await assert.rejects(client.embeddings.create({ model: 'embed', input: 'hello', metadata: { blocked: 'yes' } } as never), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 403);
      assert.match(error.message, /Blocked by policy/);
      return true;
    });
    const routed = await client.embeddings.create({ model: 'embed', input: 'hello', metadata: { env: 'local' } } as never).withResponse();
    assert.equal(routed.response.headers.get('x-switchboard-model'), 'local-embed');
    assert.equal(routed.response.headers.get('x-switchboard-route'), 'none');
  });

  it('context window: a batch is judged by its longest input, not the sum of its inputs', async () => {
    // 40 inputs of about 300 tokens: 12,000 tokens in all, each far inside an 8,191-token window.
    // Was: a 400 "context window 8191 < 12225 tokens needed" for every candidate of the route.
    const input = Array.from({ length: 40 }, (_, index) => `document ${index}: ${'the quick brown fox jumps over the lazy dog. '.repeat(30)}`);
    const { data, response } = await client.embeddings.create({ model: 'embed-cheap', input }).withResponse();
    assert.equal(response.headers.get('x-switchboard-model'), 'small');
    assert.equal(data.data.length, 40);
    // One input longer than a window still removes the model that cannot take it (the cloud one
    // is left out by the on-prem rule: nothing can serve it).
    const long = await client.embeddings.create({ model: 'embed', input: ['short', 'word '.repeat(600)], metadata: { sensitive: 'true' } } as never).catch((error: unknown) => error);
    assert.ok(long instanceof OpenAI.APIError, `expected a refusal, got ${String(long)}`);
    assert.match(long.message, /local-embed: context window 512 < 60\d tokens needed/);
    assert.equal(lab.requests.filter((request) => request.path.endsWith('/embeddings') && JSON.stringify(request.body).includes('word word')).length, 0);
  });

  // An outside probe: OpenRouter's `models` and `provider`, routing hints on chat, were a 400
  // "Unrecognized request argument supplied: models" here.
  it('OpenRouter hints: provider and models steer an embeddings request, and reach no provider', async () => {
    const ordered = await client.embeddings.create({ model: 'embed', input: 'hinted', provider: { order: ['lab'] } } as never).withResponse();
    assert.equal(ordered.response.headers.get('x-switchboard-model'), 'local-embed');
    const sent = lab.requests.filter((request) => request.path.endsWith('/embeddings')).at(-1)?.body as Record<string, unknown>;
    assert.deepEqual(Object.keys(sent).filter((field) => ['models', 'provider', 'metadata'].includes(field)), [], 'a hint reached the provider');
    cloud.fail({ kind: 'status', status: 500 }, { model: 'text-embedding-3-small' });
    const fallback = await client.embeddings.create({ model: 'embed', input: 'hinted', models: ['large'], provider: { only: ['cloud'] } } as never).withResponse();
    assert.equal(fallback.response.headers.get('x-switchboard-model'), 'large');
    assert.equal(fallback.response.headers.get('x-switchboard-attempts'), '2');
  });
});
