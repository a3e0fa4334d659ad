import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LedgerRow } from '../../src/core/ledger.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-direct-routes';

/**
 * The billable API routes answer the same whichever way a request comes in: straight from
 * node:http (a plain POST with a Content-Length: what SDKs send) or through Fastify (here, the
 * same request with a query string, which src/server/direct-routes.ts leaves to Fastify, as it
 * does chunked bodies and odd content types). Same status, headers, body and ledger row.
 */
describe('API routes served directly and through Fastify', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;

  before(async () => {
    simulator = await new OpenAISimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      models: [
        { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 1, output_per_mtok: 2 } },
        { id: 'embed', provider: 'oai', upstream: 'text-embedding-3-small', pricing: { input_per_mtok: 1, output_per_mtok: 0 } },
      ],
    });
  });
  after(() => closeAll(gateway, simulator));

  interface Seen {
    status: number;
    headers: Record<string, string>;
    body: unknown;
    row: Partial<LedgerRow> | undefined;
  }

  /** Sends the request both ways; what each answered and recorded, with what differs per request (ids, times) left out. */
  async function both(path: string, body: string, headers: Record<string, string>): Promise<[Seen, Seen]> {
    const seen: Seen[] = [];
    for (const url of [`${gateway.origin}${path}`, `${gateway.origin}${path}?via=fastify`]) {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      const text = await response.text();
      const answerHeaders: Record<string, string> = {};
      // Per request or per connection: the id's value (checked below), the date, keep-alive.
      for (const [name, value] of response.headers) if (!['date', 'connection', 'keep-alive', 'transfer-encoding'].includes(name)) answerHeaders[name] = /request-id$/.test(name) ? 'id' : value;
      const requestId = response.headers.get('x-request-id');
      assert.match(String(requestId), /^req_[0-9a-f]{32}$/);
      if (response.headers.has('request-id')) assert.equal(response.headers.get('request-id'), requestId);
      const row = (await gateway.ledger()).find((candidate) => candidate.id === requestId);
      seen.push({
        status: response.status,
        headers: answerHeaders,
        body: stable(text),
        row: row && {
          endpoint: row.endpoint,
          status: row.status,
          httpStatus: row.httpStatus,
          errorCode: row.errorCode,
          modelRequested: row.modelRequested,
          model: row.model,
          provider: row.provider,
          stream: row.stream,
          inputTokens: row.inputTokens,
          outputTokens: row.outputTokens,
          costUsd: row.costUsd,
          keyId: row.keyId,
          attempts: row.attempts.map((attempt) => ({ ...attempt, latencyMs: 0 })) as LedgerRow['attempts'],
        },
      });
    }
    return seen as [Seen, Seen];
  }

  const chat = { model: 'fast', messages: [{ role: 'user', content: 'hello there' }] };
  const key = { authorization: `Bearer ${masterKey}` };

  it('answers a chat completion, a stream, a Messages call and embeddings alike', async () => {
    for (const [path, body, headers] of [
      ['/v1/chat/completions', JSON.stringify(chat), key],
      ['/v1/chat/completions', JSON.stringify({ ...chat, stream: true, stream_options: { include_usage: true } }), key],
      ['/v1/messages', JSON.stringify({ ...chat, max_tokens: 50 }), { 'x-api-key': masterKey, 'anthropic-version': '2023-06-01' }],
      ['/v1/messages', JSON.stringify({ ...chat, max_tokens: 50, stream: true }), { 'x-api-key': masterKey }],
      ['/v1/embeddings', JSON.stringify({ model: 'embed', input: ['one', 'two'] }), key],
    ] as const) {
      const [direct, throughFastify] = await both(path, body, headers);
      assert.equal(direct.status, 200, `${path}: ${JSON.stringify(direct.body)}`);
      assert.ok(direct.row, `${path}: a ledger row`);
      assert.equal(direct.row.status, 'ok');
      assert.deepStrictEqual(direct, throughFastify, path);
    }
  });

  it('refuses alike: no key, a wrong key, malformed JSON, an invalid field, an unknown model', async () => {
    const cases: Array<[string, string, Record<string, string>, number]> = [
      ['/v1/chat/completions', JSON.stringify(chat), {}, 401],
      ['/v1/messages', JSON.stringify({ ...chat, max_tokens: 5 }), { 'x-api-key': 'wrong' }, 401],
      ['/v1/chat/completions', '{"model": "fast", "messages": [', key, 400],
      ['/v1/chat/completions', JSON.stringify({ model: 'fast', messages: 'hi' }), key, 400],
      ['/v1/messages', JSON.stringify({ model: 'fast', messages: [] }), { 'x-api-key': masterKey }, 400],
      ['/v1/chat/completions', JSON.stringify({ ...chat, model: 'nope' }), key, 404],
    ];
    for (const [path, body, headers, status] of cases) {
      const [direct, throughFastify] = await both(path, body, headers);
      assert.equal(direct.status, status, `${path} ${body}: ${JSON.stringify(direct.body)}`);
      assert.ok(direct.row, `${path} ${body}: a ledger row`);
      assert.deepStrictEqual(direct, throughFastify, `${path} ${body}`);
    }
    const prototypeProbe = '{"model":"fast","messages":[{"role":"user","content":"hi"}],"__proto__":{"admin":true}}';
    const [direct, throughFastify] = await both('/v1/chat/completions', prototypeProbe, key);
    assert.equal(direct.status, 400);
    assert.deepStrictEqual(direct, throughFastify);
  });

  it('takes a request without a content type, and leaves one with a chunked body to Fastify, alike', async () => {
    const answers = [];
    for (const init of [
      { headers: { ...key } },
      { headers: { ...key, 'content-type': 'application/json' }, chunked: true },
    ]) {
      const body = JSON.stringify(chat);
      const response = await fetch(`${gateway.origin}/v1/chat/completions`, {
        method: 'POST',
        headers: init.headers,
        // A stream has no length up front: undici sends it chunked.
        body: init.chunked ? new Blob([body]).stream() : new TextEncoder().encode(body),
        ...(init.chunked ? { duplex: 'half' } : {}),
      } as RequestInit);
      answers.push({ status: response.status, body: stable(await response.text()) });
    }
    assert.equal(answers[0]!.status, 200);
    assert.deepStrictEqual(answers[0], answers[1]);
  });
});

/** An answer's text with what differs per request (ids, timestamps) replaced. */
function stable(text: string): string {
  return text.replace(/"(id|created|created_at)":\s*("[^"]*"|\d+)/g, '"$1":"…"').replace(/\b(chatcmpl|msg|req)_[A-Za-z0-9-]+/g, '$1_…');
}
