import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';
import { assertCutStreamReported, assertOpenAIError, collectStream, openaiClient, textBeforeStreamError, type OpenAIErrorBody } from '../helpers/openai-client.ts';

const masterKey = 'sb-master-errors-key';

describe('errors in the OpenAI shape; bad input never reaches a provider', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;
  let client: OpenAI;
  const chat = { model: 'fast', messages: [{ role: 'user', content: 'hi' }] };
  /** A chat completion sent without the SDK, with the master key unless another (or none: null) is given. */
  const post = (body: unknown, key: string | null = masterKey) => rawPost<OpenAIErrorBody>(gateway.origin, '/v1/chat/completions', body, { key });

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
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, simulator));

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
      const response = await post(testCase.body);
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
    const missing = await post(chat, null);
    assert.equal(missing.status, 401);
    assertOpenAIError(missing.body);
    const wrong = await post(chat, 'sk-guessing-1234');
    assert.equal(wrong.status, 401);
    assert.equal(JSON.stringify(wrong.body).includes('sk-guessing-1234'), false);
    await assert.rejects(openaiClient(gateway, 'wrong').models.list(), OpenAI.AuthenticationError);
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
    const response = await post(chat);
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
    const failed = await post({ ...chat, model: 'two' });
    assert.equal(failed.status, 502);
    assert.match(failed.body.error.message, /All 2 attempts failed: oai\/gpt-4o-mini: .*; oai\/gpt-4\.1-mini: /);
  });

  it('keeps an upstream 429 and its retry-after', async () => {
    simulator.fail({ kind: 'status', status: 429, headers: { 'retry-after': '7' }, body: { error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } } }, { model: 'gpt-4o-mini' });
    const response = await post(chat);
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '7');
    assert.equal(response.body.error.type, 'rate_limit_error');
    assert.match(response.body.error.message, /Rate limit reached/);
  });

  it("returns a provider's 400 as it is after one attempt", async () => {
    simulator.fail({ kind: 'status', status: 400, body: { error: { message: 'Invalid value for logit_bias', type: 'invalid_request_error', param: 'logit_bias', code: null } } }, { model: 'gpt-4o-mini' });
    const before = simulator.chatCalls().length;
    const response = await post({ ...chat, model: 'two' });
    assert.equal(response.status, 400);
    assert.match(response.body.error.message, /Invalid value for logit_bias/);
    assert.equal(simulator.chatCalls().length - before, 1, 'no fallback for a 400 every model would share');
  });

  it('maps a provider rejecting its key to a 502 that does not blame the caller', async () => {
    const response = await post({ ...chat, model: 'misconfigured' });
    assert.equal(response.status, 502);
    assert.match(response.body.error.message, /answered 401/);
    assert.equal(JSON.stringify(response.body).includes('sk-wrong-key-for-upstream'), false);
  });

  it('cuts a hung provider at its timeout with a 504', async () => {
    simulator.fail({ kind: 'hang' }, { model: 'gpt-4o-mini' });
    const started = Date.now();
    const response = await post(chat);
    assert.equal(response.status, 504);
    assert.ok(Date.now() - started < 5000);
  });

  it('maps a connection reset and invalid JSON from the provider to 502s', async () => {
    simulator.fail({ kind: 'reset' }, { model: 'gpt-4o-mini' });
    const reset = await post(chat);
    assert.equal(reset.status, 502);
    simulator.fail({ kind: 'invalid-json' }, { model: 'gpt-4o-mini' });
    const invalid = await post(chat);
    assert.equal(invalid.status, 502);
    assert.match(invalid.body.error.message, /not valid JSON/);
  });

  it('ends a stream cut mid-way with an error the SDK raises, not a silent end', async () => {
    simulator.fail({ kind: 'cut-stream', afterChunks: 3 }, { model: 'gpt-4o-mini' });
    await assertCutStreamReported(client, gateway, 'fast');
  });

  it('relays an in-band error event mid-stream as an error', async () => {
    simulator.fail({ kind: 'stream-error', afterChunks: 2, message: 'overloaded upstream' }, { model: 'gpt-4o-mini' });
    const stream = await client.chat.completions.create({ model: 'fast', stream: true, messages: [{ role: 'user', content: 'tell me a long story please' }] });
    await textBeforeStreamError(stream, /overloaded upstream/);
  });

  it('falls back invisibly when a stream fails before its first token', async () => {
    simulator.fail({ kind: 'status', status: 503 }, { model: 'gpt-4o-mini' });
    const { data: stream, response } = await client.chat.completions.create({ model: 'two', stream: true, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const { text } = await collectStream(stream);
    assert.equal(text, 'Simulated reply from gpt-4.1-mini: hi');
    assert.equal(response.headers.get('x-switchboard-attempts'), '2');
  });

  it('answers unknown endpoints with an OpenAI-shaped 404', async () => {
    const response = await rawPost(gateway.origin, '/v1/completions-nope', '{}', { key: masterKey });
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
