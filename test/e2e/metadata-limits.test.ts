import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-metadata-limits';

/**
 * A request's routing metadata goes whole onto its ledger row: a caller could write a row of the
 * body's size (32 MB) with every request, and /admin/usage then read a hundred such rows into one
 * answer. Metadata over OpenAI's limits (16 pairs, keys of 64 characters, values of 512) is a 400
 * before routing, with a small ledger row, and no provider is called.
 */
describe('routing metadata limits', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;
  const hi = [{ role: 'user', content: 'hi' }];
  const many = Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`k${index}`, 'v']));

  before(async () => {
    simulator = await new OpenAISimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      models: [
        { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini' },
        { id: 'embed', provider: 'oai', upstream: 'text-embedding-3-small' },
      ],
    });
  });

  after(() => closeAll(gateway, simulator));

  const cases: Array<[string, string, unknown, Record<string, string>]> = [
    ['chat: a 1 MB value', '/v1/chat/completions', { model: 'fast', messages: hi, metadata: { big: 'x'.repeat(1024 * 1024) } }, {}],
    ['chat: 17 keys', '/v1/chat/completions', { model: 'fast', messages: hi, metadata: many }, {}],
    ['chat: a 65-character key', '/v1/chat/completions', { model: 'fast', messages: hi, metadata: { ['k'.repeat(65)]: 'v' } }, {}],
    ['messages: a 1 MB value', '/v1/messages', { model: 'fast', max_tokens: 5, messages: hi, metadata: { user_id: 'u', big: 'x'.repeat(1024 * 1024) } }, {}],
    ['embeddings: a 1 MB value', '/v1/embeddings', { model: 'embed', input: 'hi', metadata: { big: 'x'.repeat(1024 * 1024) } }, {}],
    ['header: 17 keys', '/v1/chat/completions', { model: 'fast', messages: hi }, { 'x-switchboard-metadata': JSON.stringify(many) }],
    ['header: a 600-character value', '/v1/chat/completions', { model: 'fast', messages: hi }, { 'x-switchboard-metadata': JSON.stringify({ a: 'x'.repeat(600) }) }],
  ];

  for (const [name, path, body, headers] of cases) {
    it(`refuses ${name} with a 400, calls no provider, and keeps the row small`, async () => {
      const calls = simulator.requests.length;
      const answer = await rawPost(gateway.origin, path, body, { key: masterKey, headers: { 'anthropic-version': '2023-06-01', ...headers } });
      assert.equal(answer.status, 400, answer.text.slice(0, 300));
      assert.match(answer.text, /metadata/);
      assert.ok(answer.text.length < 2_000, `${answer.text.length} characters of error`);
      assert.equal(simulator.requests.length, calls, 'a provider was called');
      const row = await gateway.ledgerRow(answer);
      assert.ok(row, 'the refused request has a ledger row');
      assert.equal(row.httpStatus, 400);
      assert.ok(JSON.stringify(row).length < 10_000, `a ledger row of ${JSON.stringify(row).length} characters`);
    });
  }

  it('takes metadata within the limits, and routes by it', async () => {
    const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, index) => [`k${index}`.padEnd(64, 'k'), 'v'.repeat(512)]));
    const answer = await rawPost(gateway.origin, '/v1/chat/completions', { model: 'fast', messages: hi, metadata }, { key: masterKey });
    assert.equal(answer.status, 200, answer.text.slice(0, 300));
    const row = await gateway.ledgerRow(answer);
    assert.deepEqual(row?.metadata, metadata);
  });
});
