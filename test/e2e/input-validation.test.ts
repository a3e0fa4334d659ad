import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost, type RawAnswer } from '../helpers/http.ts';
import { assertOpenAIError, type OpenAIErrorBody } from '../helpers/openai-client.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-input-validation';

interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

/**
 * Bad input is refused before routing, in the caller's shape, with a ledger row, and no provider
 * is called (../shared/SPEC.md "Errors"); what the gateway writes back from a request can never
 * break the answer.
 */
describe('input validation before routing', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;
  const hi = [{ role: 'user', content: 'hi' }];
  const chat = (body: unknown) => rawPost<OpenAIErrorBody>(gateway.origin, '/v1/chat/completions', body, { key: masterKey });
  const messages = (body: unknown) => rawPost<AnthropicErrorBody>(gateway.origin, '/v1/messages', body, { key: masterKey });

  /** A 400 in the OpenAI shape, for which no provider was called and a ledger row says 400. */
  async function refusedBeforeRouting(answer: RawAnswer<OpenAIErrorBody>, pattern: RegExp, callsBefore: number): Promise<void> {
    assert.equal(answer.status, 400, answer.text);
    assertOpenAIError(answer.body);
    assert.match(answer.body.error.message, pattern);
    assert.equal(simulator.requests.length, callsBefore, 'a provider was called');
    const row = await gateway.ledgerRow(answer);
    assert.ok(row, 'the refused request has a ledger row');
    assert.equal(row.httpStatus, 400);
    assert.equal(row.status, 'error');
  }

  before(async () => {
    simulator = await new OpenAISimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      models: [
        { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini' },
        // A config id outside ASCII: valid in the config, never a valid header value as it is.
        { id: 'модель', provider: 'oai', upstream: 'gpt-4o-mini' },
      ],
      routes: [{ id: 'cyrillic', strategy: 'ordered', candidates: ['модель'] }],
    });
  });

  after(() => closeAll(gateway, simulator));

  it('refuses model names with CR/LF, NUL or non-ASCII characters before calling a provider', async () => {
    for (const model of ['oai/m\r\nx: 1', 'oai/m\u0000x', 'oai/модель', 'fast\u2028']) {
      const calls = simulator.requests.length;
      await refusedBeforeRouting(await chat({ model, messages: hi }), /model names are printable ASCII/, calls);
      const anthropic = await messages({ model, max_tokens: 5, messages: hi });
      assert.equal(anthropic.status, 400);
      assert.equal(anthropic.body.type, 'error');
      assert.equal(anthropic.body.error.type, 'invalid_request_error');
      assert.equal(simulator.requests.length, calls);
    }
  });

  it('sends a model id that no header can carry as it is percent-encoded, and answers 200', async () => {
    const answer = await chat({ model: 'cyrillic', messages: hi });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-switchboard-model'), encodeURIComponent('модель'));
    assert.equal((await gateway.ledgerRow(answer))?.httpStatus, 200);
  });

  it('refuses typos of known fields, naming the field and the right one', async () => {
    const calls = simulator.requests.length;
    const typo = await chat({ model: 'fast', messages: hi, temprature: 0.2 });
    await refusedBeforeRouting(typo, /Did you mean 'temperature'\?/, calls);
    assert.equal(typo.body.error.param, 'temprature');
    await refusedBeforeRouting(await chat({ model: 'fast', messages: hi, max_token: 5 }), /Did you mean 'max_tokens'\?/, calls);
    await refusedBeforeRouting(await chat({ model: 'fast', messages: hi, 'top-p': 0.5 }), /Did you mean 'top_p'\?/, calls);
    await refusedBeforeRouting(await chat({ model: 'fast', messages: [{ role: 'user', content: [] }] }), /content arrays must not be empty/, calls);
  });

  it('keeps in the ledger the model a refused request asked for, and answers with the route and attempts headers', async () => {
    const answer = await chat({ model: 'fast', messages: hi, temperature: 99 });
    assert.equal(answer.status, 400);
    assert.equal((await gateway.ledgerRow(answer))?.modelRequested, 'fast');
    assert.equal(answer.headers.get('x-switchboard-route'), 'none');
    assert.equal(answer.headers.get('x-switchboard-attempts'), '0');
  });

  it('relays fields OpenAI-style providers know (logit_bias here) to the provider', async () => {
    const answer = await chat({ model: 'fast', messages: hi, logit_bias: { '50256': -100 } });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(simulator.chatCalls().at(-1)?.body?.logit_bias, { '50256': -100 });
  });

  it('refuses on /v1/messages what Anthropic refuses: max_tokens 0, empty content, unknown fields', async () => {
    const calls = simulator.requests.length;
    const cases: Array<[unknown, RegExp]> = [
      [{ model: 'fast', max_tokens: 0, messages: hi }, /max_tokens must be at least 1/],
      [{ model: 'fast', max_tokens: 5, messages: [{ role: 'user', content: '' }] }, /messages\.0: all messages must have non-empty content except for the optional final assistant message/],
      [{ model: 'fast', max_tokens: 5, messages: [{ role: 'user', content: [] }] }, /non-empty content/],
      [{ model: 'fast', max_tokens: 5, messages: [...hi, { role: 'assistant', content: '' }, { role: 'user', content: 'again' }] }, /messages\.1: all messages must have non-empty content/],
      [{ model: 'fast', max_tokens: 5, messages: hi, temprature: 0.5 }, /temprature: Extra inputs are not permitted \(did you mean 'temperature'\?\)/],
      [{ model: 'fast', max_tokens: 5, messages: hi, n: 2 }, /^n: Extra inputs are not permitted$/],
    ];
    for (const [body, pattern] of cases) {
      const answer = await messages(body);
      assert.equal(answer.status, 400, answer.text);
      assert.deepStrictEqual(Object.keys(answer.body), ['type', 'error']);
      assert.equal(answer.body.error.type, 'invalid_request_error');
      assert.match(answer.body.error.message, pattern);
      assert.equal((await gateway.ledgerRow(answer))?.httpStatus, 400);
    }
    assert.equal(simulator.requests.length, calls);
    // A final assistant message (a prefill) may be empty, as Anthropic allows.
    assert.equal((await messages({ model: 'fast', max_tokens: 5, messages: [...hi, { role: 'assistant', content: '' }] })).status, 200);
  });

  it('answers a 3 MB body with a 1.5M-element array of the wrong type at once, in a few hundred bytes', async () => {
    const body = `{"model":"fast","messages":[${new Array(1_500_000).fill('1').join(',')}]}`;
    const started = performance.now();
    const answer = await chat(body);
    assert.ok(performance.now() - started < 2000, `took ${Math.round(performance.now() - started)} ms`);
    assert.equal(answer.status, 400);
    assertOpenAIError(answer.body);
    assert.ok(answer.text.length < 500);
  });

  it('answers a bad admin body with its first problem only, in a few hundred bytes', async () => {
    const body = `{"name":"x","models":[${new Array(97_000).fill('1').join(',')}]}`;
    const answer = await rawPost<OpenAIErrorBody>(gateway.origin, '/admin/keys', body, { key: masterKey });
    assert.equal(answer.status, 400);
    assertOpenAIError(answer.body);
    assert.equal(answer.body.error.param, 'models[0]');
    assert.ok(answer.text.length < 500, `${answer.text.length} bytes`);
    const strict = await rawPost<OpenAIErrorBody>(gateway.origin, '/admin/keys', { name: 'x', [`k${'x'.repeat(50_000)}`]: 1 }, { key: masterKey });
    assert.equal(strict.status, 400);
    assert.ok(strict.text.length < 1500, `${strict.text.length} bytes for one unknown 50,000-character key`);
  });
});
