import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

const masterKey = 'sb-master-errors-key';

/** Sends a raw request and returns status, headers and the parsed body. */
async function raw(origin: string, path: string, init: RequestInit & { key?: string | null } = {}) {
  const headers = new Headers(init.headers);
  if (init.key !== null) headers.set('authorization', `Bearer ${init.key ?? masterKey}`);
  if (!headers.has('content-type') && init.body !== undefined) headers.set('content-type', 'application/json');
  const response = await fetch(`${origin}${path}`, { ...init, headers });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body: body as { error: { message: string; type: string; param: string | null; code: string | null } } };
}

function assertOpenAIError(body: unknown): void {
  const error = (body as { error?: Record<string, unknown> }).error;
  assert.ok(error, `not an OpenAI error body: ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(typeof error.message, 'string');
  assert.equal(typeof error.type, 'string');
}

describe('errors in the OpenAI shape; bad input never reaches a provider', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;
  let client: OpenAI;
  const chat = { model: 'fast', messages: [{ role: 'user', content: 'hi' }] };

  before(async () => {
    simulator = await new OpenAISimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey, max_body_mb: 1 },
      providers: [
        // These tests inject many failures in a row; the circuit breaker has its own tests.
        { id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey, timeout_ms: 1500, cooldown: { failures: 1000 } },
        { id: 'badkey', type: 'openai', base_url: simulator.url, api_key: 'sk-wrong-key-for-upstream' },
      ],
      models: [
        { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini' },
        { id: 'other', provider: 'oai', upstream: 'gpt-4.1-mini' },
        { id: 'misconfigured', provider: 'badkey', upstream: 'gpt-4o-mini' },
      ],
      routes: [{ id: 'two', strategy: 'ordered', candidates: ['fast', 'other'] }],
    });
    client = new OpenAI({ baseURL: gateway.baseURL, apiKey: masterKey, maxRetries: 0 });
  });

  after(async () => {
    await gateway.close();
    await simulator.close();
  });

  const cases: Array<{ name: string; body: string; status: number; param?: string; pattern: RegExp }> = [
    { name: 'malformed JSON', body: '{"model": "fast", "messages": [', status: 400, pattern: /parse the JSON body/ },
    { name: 'a JSON array', body: '[1, 2]', status: 400, pattern: /JSON object/ },
    { name: 'no model', body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }), status: 400, param: 'model', pattern: /model/ },
    { name: 'no messages', body: JSON.stringify({ model: 'fast' }), status: 400, param: 'messages', pattern: /messages/ },
    { name: 'empty messages', body: JSON.stringify({ model: 'fast', messages: [] }), status: 400, param: 'messages', pattern: /must not be empty/ },
    { name: 'an unknown role', body: JSON.stringify({ model: 'fast', messages: [{ role: 'wizard', content: 'hi' }] }), status: 400, param: 'messages[0].role', pattern: /role/ },
    { name: 'content of the wrong type', body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 42 }] }), status: 400, pattern: /messages\[0\]\.content/ },
    { name: 'temperature out of range', body: JSON.stringify({ ...chat, temperature: 3 }), status: 400, param: 'temperature', pattern: /temperature/ },
    { name: 'a tool message with no tool call before it', body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }, { role: 'tool', tool_call_id: 'call_x', content: 'r' }] }), status: 400, pattern: /tool_calls/ },
    { name: 'tool_choice naming a missing tool', body: JSON.stringify({ ...chat, tools: [{ type: 'function', function: { name: 'a' } }], tool_choice: { type: 'function', function: { name: 'b' } } }), status: 400, param: 'tool_choice', pattern: /not in tools/ },
    { name: 'stream_options without stream', body: JSON.stringify({ ...chat, stream_options: { include_usage: true } }), status: 400, param: 'stream_options', pattern: /only allowed when stream/ },
    { name: 'a non-string metadata value', body: JSON.stringify({ ...chat, metadata: { n: 1 } }), status: 400, pattern: /metadata/ },
  ];

  for (const testCase of cases) {
    it(`answers 400 for ${testCase.name}, calling no provider`, async () => {
      const before = simulator.requests.length;
      const response = await raw(gateway.origin, '/v1/chat/completions', { method: 'POST', body: testCase.body });
      assert.equal(response.status, testCase.status);
      assertOpenAIError(response.body);
      assert.match(response.body.error.message, testCase.pattern);
      if (testCase.param) assert.equal(response.body.error.param, testCase.param);
      assert.equal(response.body.error.type, 'invalid_request_error');
      assert.equal(simulator.requests.length, before, 'a provider was called');
    });
  }

  it('answers 404 model_not_found for an unknown model, through the SDK', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      assert.equal((error.error as { code?: string }).code, 'model_not_found');
      return true;
    });
  });

  it('answers 401 without a key and with a wrong key, and never echoes the key', async () => {
    const missing = await raw(gateway.origin, '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat), key: null });
    assert.equal(missing.status, 401);
    assertOpenAIError(missing.body);
    const wrong = await raw(gateway.origin, '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat), key: 'sk-guessing-1234' });
    assert.equal(wrong.status, 401);
    assert.equal(JSON.stringify(wrong.body).includes('sk-guessing-1234'), false);
    await assert.rejects(new OpenAI({ baseURL: gateway.baseURL, apiKey: 'wrong', maxRetries: 0 }).models.list(), OpenAI.AuthenticationError);
  });

  it('answers 413 for a 60 MB body without reading it into a provider, and stays up', async () => {
    const before = simulator.requests.length;
    const huge = JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'x'.repeat(60 * 1024 * 1024) }] });
    await assert.rejects(client.chat.completions.create(JSON.parse(huge)), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 413);
      return true;
    });
    assert.equal(simulator.requests.length, before);
    const ok = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'still alive?' }] });
    assert.ok(ok.choices[0]?.message.content);
  });

  it('answers 503 naming the attempts when the only provider fails', async () => {
    simulator.fail({ kind: 'status', status: 503 }, { model: 'gpt-4o-mini' });
    const response = await raw(gateway.origin, '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat) });
    assert.equal(response.status, 503);
    assertOpenAIError(response.body);
    assert.match(response.body.error.message, /1 attempt failed: oai\/gpt-4o-mini: Provider "oai" answered 503/);
    assert.equal(response.headers.get('x-switchboard-attempts'), '1');
  });

  it('falls back to the next candidate on a 5xx, and names both attempts when both fail', async () => {
    simulator.fail({ kind: 'status', status: 500 }, { model: 'gpt-4o-mini' });
    const ok = await client.chat.completions.create({ model: 'two', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal(ok.response.headers.get('x-switchboard-model'), 'other');
    assert.equal(ok.response.headers.get('x-switchboard-attempts'), '2');

    simulator.fail({ kind: 'status', status: 502 }, { model: 'gpt-4o-mini' });
    simulator.fail({ kind: 'status', status: 500 }, { model: 'gpt-4.1-mini' });
    const failed = await raw(gateway.origin, '/v1/chat/completions', { method: 'POST', body: JSON.stringify({ ...chat, model: 'two' }) });
    assert.equal(failed.status, 502);
    assert.match(failed.body.error.message, /All 2 attempts failed: oai\/gpt-4o-mini: .*; oai\/gpt-4\.1-mini: /);
  });

  it('keeps an upstream 429 and its retry-after', async () => {
    simulator.fail({ kind: 'status', status: 429, headers: { 'retry-after': '7' }, body: { error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } } }, { model: 'gpt-4o-mini' });
    const response = await raw(gateway.origin, '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat) });
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '7');
    assert.equal(response.body.error.type, 'rate_limit_error');
    assert.match(response.body.error.message, /Rate limit reached/);
  });

  it("returns a provider's 400 as it is after one attempt", async () => {
    simulator.fail({ kind: 'status', status: 400, body: { error: { message: 'Invalid value for logit_bias', type: 'invalid_request_error', param: 'logit_bias', code: null } } }, { model: 'gpt-4o-mini' });
    const before = simulator.chatCalls().length;
    const response = await raw(gateway.origin, '/v1/chat/completions', { method: 'POST', body: JSON.stringify({ ...chat, model: 'two' }) });
    assert.equal(response.status, 400);
    assert.match(response.body.error.message, /Invalid value for logit_bias/);
    assert.equal(simulator.chatCalls().length - before, 1, 'no fallback for a 400 every model would share');
  });

  it('maps a provider rejecting its key to a 502 that does not blame the caller', async () => {
    const response = await raw(gateway.origin, '/v1/chat/completions', { method: 'POST', body: JSON.stringify({ ...chat, model: 'misconfigured' }) });
    assert.equal(response.status, 502);
    assert.match(response.body.error.message, /answered 401/);
    assert.equal(JSON.stringify(response.body).includes('sk-wrong-key-for-upstream'), false);
  });

  it('cuts a hung provider at its timeout with a 504', async () => {
    simulator.fail({ kind: 'hang' }, { model: 'gpt-4o-mini' });
    const started = Date.now();
    const response = await raw(gateway.origin, '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat) });
    assert.equal(response.status, 504);
    assert.ok(Date.now() - started < 5000);
  });

  it('maps a connection reset and invalid JSON from the provider to 502s', async () => {
    simulator.fail({ kind: 'reset' }, { model: 'gpt-4o-mini' });
    const reset = await raw(gateway.origin, '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat) });
    assert.equal(reset.status, 502);
    simulator.fail({ kind: 'invalid-json' }, { model: 'gpt-4o-mini' });
    const invalid = await raw(gateway.origin, '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat) });
    assert.equal(invalid.status, 502);
    assert.match(invalid.body.error.message, /not valid JSON/);
  });

  it('ends a stream cut mid-way with an error the SDK raises, not a silent end', async () => {
    simulator.fail({ kind: 'cut-stream', afterChunks: 3 }, { model: 'gpt-4o-mini' });
    const stream = await client.chat.completions.create({ model: 'fast', stream: true, messages: [{ role: 'user', content: 'tell me a long story please' }] });
    let text = '';
    await assert.rejects(async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    }, OpenAI.APIError);
    assert.ok(text.length > 0, 'the part before the cut was delivered');
    const row = (await gateway.ledger()).find((candidate) => candidate.stream && candidate.errorCode === 'SB_ERR_STREAM_INTERRUPTED');
    assert.ok(row, 'the ledger records the interrupted stream');
    assert.equal(row.status, 'error');
  });

  it('relays an in-band error event mid-stream as an error', async () => {
    simulator.fail({ kind: 'stream-error', afterChunks: 2, message: 'overloaded upstream' }, { model: 'gpt-4o-mini' });
    const stream = await client.chat.completions.create({ model: 'fast', stream: true, messages: [{ role: 'user', content: 'tell me a long story please' }] });
    await assert.rejects(async () => {
      for await (const chunk of stream) void chunk;
    }, /overloaded upstream/);
  });

  it('falls back invisibly when a stream fails before its first token', async () => {
    simulator.fail({ kind: 'status', status: 503 }, { model: 'gpt-4o-mini' });
    const { data: stream, response } = await client.chat.completions.create({ model: 'two', stream: true, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, 'Simulated reply from gpt-4.1-mini: hi');
    assert.equal(response.headers.get('x-switchboard-attempts'), '2');
  });

  it('answers unknown endpoints with an OpenAI-shaped 404', async () => {
    const response = await raw(gateway.origin, '/v1/completions-nope', { method: 'POST', body: '{}' });
    assert.equal(response.status, 404);
    assertOpenAIError(response.body);
  });

  it('has every request, failed ones included, in the ledger', async () => {
    const rows = await gateway.ledger();
    const statuses = new Set(rows.map((row) => row.httpStatus));
    for (const status of [200, 400, 401, 404, 413, 429, 502, 503, 504]) assert.ok(statuses.has(status), `no ledger row with status ${status}`);
    const failedRoute = rows.find((row) => row.route === 'two' && row.httpStatus === 502)!;
    assert.equal(failedRoute.attempts.length, 2);
    assert.deepEqual(failedRoute.attempts.map((attempt) => attempt.outcome), ['error', 'error']);
  });
});
