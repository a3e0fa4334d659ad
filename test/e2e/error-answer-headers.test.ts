import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminClient } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost, type RawAnswer } from '../helpers/http.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-error-answer-headers';
const hi = [{ role: 'user', content: 'hi' }];

/** The x-switchboard-* headers of an answer, by name (absent ones left out). */
function switchboardHeaders(answer: RawAnswer): Record<string, string> {
  return Object.fromEntries([...answer.headers].filter(([name]) => name.startsWith('x-switchboard-')));
}

/**
 * ../shared/SPEC.md "HTTP API": every response carries the x-switchboard-* headers. An error
 * answer of /v1/chat/completions, /v1/messages and /v1/embeddings carries what is known (an
 * outside probe found only x-request-id): the route, the attempts made, what they cost, and the
 * last model tried when there was one (docs/errors.md).
 */
describe('error answers of the API routes carry the x-switchboard-* headers', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;
  let narrowKey: string;

  const chat = (body: Record<string, unknown>, key = masterKey) => rawPost(gateway.origin, '/v1/chat/completions', body, { key });
  const messages = (body: Record<string, unknown>, key = masterKey) => rawPost(gateway.origin, '/v1/messages', { max_tokens: 16, ...body }, { key, headers: { 'anthropic-version': '2023-06-01' } });
  const embeddings = (body: Record<string, unknown>, key = masterKey) => rawPost(gateway.origin, '/v1/embeddings', body, { key });

  /** A refusal before any provider call: the route (`none` when routing had not chosen one), no attempt, no cost, no model. */
  const refusedBeforeAttempts = (answer: RawAnswer, status: number, route = 'none') => {
    assert.equal(answer.status, status, answer.text);
    assert.deepEqual(switchboardHeaders(answer), { 'x-switchboard-attempts': '0', 'x-switchboard-cost-usd': '0', 'x-switchboard-route': route });
  };

  before(async () => {
    simulator = await new OpenAISimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      models: [
        { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini' },
        { id: 'smart', provider: 'oai', upstream: 'gpt-4o' },
        { id: 'embed', provider: 'oai', upstream: 'text-embedding-3-small' },
      ],
      routes: [{ id: 'auto', strategy: 'ordered', candidates: ['fast', 'smart'] }],
    });
    const created = await adminClient(gateway.origin, masterKey).post<{ key: string }>('/admin/keys', { name: 'narrow', models: ['fast', 'embed'] });
    assert.equal(created.status, 201, created.text);
    narrowKey = created.body.key;
  });

  after(() => closeAll(gateway, simulator));

  it('refused before any attempt (400, 401, 403, 404): the route, 0 attempts, cost 0, and no model or provider', async () => {
    refusedBeforeAttempts(await chat({ model: 'fast', messages: hi, temperature: 99 }), 400);
    refusedBeforeAttempts(await chat({ model: 'fast', messages: hi }, 'sb-not-a-key'), 401);
    refusedBeforeAttempts(await chat({ model: 'smart', messages: hi }, narrowKey), 403);
    refusedBeforeAttempts(await chat({ model: 'no-such-model', messages: hi }), 404);
    refusedBeforeAttempts(await messages({ model: 'smart', messages: hi }, narrowKey), 403);
    refusedBeforeAttempts(await messages({ model: 'no-such-model', messages: hi }), 404);
    refusedBeforeAttempts(await embeddings({ model: 'smart', input: 'hi' }, narrowKey), 403);
    refusedBeforeAttempts(await embeddings({ model: 'no-such-model', input: 'hi' }), 404);
    // Refused once routing chose the route (the key's rpm): the route is known.
    const limited = await adminClient(gateway.origin, masterKey).post<{ key: string }>('/admin/keys', { name: 'one-a-minute', rpm: 1 });
    assert.equal((await chat({ model: 'auto', messages: hi }, limited.body.key)).status, 200);
    refusedBeforeAttempts(await chat({ model: 'auto', messages: hi }, limited.body.key), 429, 'auto');
  });

  it('failed after attempts (502): the route, the attempts, their cost, and the last model tried with its provider', async () => {
    simulator.down({ kind: 'status', status: 500 });
    try {
      for (const answer of [await chat({ model: 'auto', messages: hi }), await messages({ model: 'auto', messages: hi })]) {
        assert.equal(answer.status, 502, answer.text);
        const row = await gateway.ledgerRow(answer);
        assert.ok(row && row.attempts.length >= 2, 'both candidates were tried');
        assert.deepEqual(switchboardHeaders(answer), {
          'x-switchboard-attempts': String(row.attempts.length),
          'x-switchboard-cost-usd': '0',
          'x-switchboard-model': 'smart',
          'x-switchboard-provider': 'oai',
          'x-switchboard-route': 'auto',
        });
      }
      const direct = await chat({ model: 'fast', messages: hi });
      assert.equal(direct.status, 502, direct.text);
      assert.equal(direct.headers.get('x-switchboard-route'), 'none', 'a model named directly has no route, as on a success');
      assert.equal(direct.headers.get('x-switchboard-model'), 'fast');
    } finally {
      simulator.up();
    }
  });

  it('on /v1/embeddings too', async () => {
    simulator.down({ kind: 'status', status: 500 });
    try {
      const answer = await embeddings({ model: 'embed', input: 'hi' });
      assert.equal(answer.status, 502, answer.text);
      const row = await gateway.ledgerRow(answer);
      assert.ok(row && row.attempts.length >= 1);
      assert.deepEqual(switchboardHeaders(answer), {
        'x-switchboard-attempts': String(row.attempts.length),
        'x-switchboard-cost-usd': '0',
        'x-switchboard-model': 'embed',
        'x-switchboard-provider': 'oai',
        'x-switchboard-route': 'none',
      });
    } finally {
      simulator.up();
    }
  });
});
