import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { openaiClient } from '../helpers/openai-client.ts';

const masterKey = 'sb-retry-master';

/**
 * What the attempt loop does with a provider's 429 and 503 (../shared/SPEC.md `retry`,
 * `fallbacks`; docs/routing.md): a retry waits at least the provider's retry-after, however short
 * the configured backoff; a 429 moves on to the next candidate at once when there is one.
 */
describe('retries and fallback on 429 / 503 (real gateway, official openai SDK)', () => {
  let primary: OpenAISimulator;
  let secondary: OpenAISimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    primary = await new OpenAISimulator({ apiKey: 'primary-key', models: ['patient-model', 'limited-model', 'busy-model'] }).start();
    secondary = await new OpenAISimulator({ apiKey: 'secondary-key', models: ['spare-model'] }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'primary', type: 'openai', base_url: primary.url, api_key: 'primary-key' },
        { id: 'secondary', type: 'openai', base_url: secondary.url, api_key: 'secondary-key' },
      ],
      models: [
        // One model per test: a failure counts against its deployment's health.
        { id: 'patient', provider: 'primary', upstream: 'patient-model' },
        { id: 'limited', provider: 'primary', upstream: 'limited-model' },
        { id: 'busy', provider: 'primary', upstream: 'busy-model' },
        { id: 'spare', provider: 'secondary', upstream: 'spare-model' },
        // An upstream model the provider does not know: its 404 model_not_found.
        { id: 'retired', provider: 'primary', upstream: 'retired-model' },
      ],
      routes: [
        { id: 'alone', strategy: 'ordered', candidates: ['patient'], retry: { attempts: 1, backoff_ms: 10 } },
        { id: 'rate-limited', strategy: 'ordered', candidates: ['limited', 'spare'], retry: { attempts: 2, backoff_ms: 10 } },
        { id: 'unavailable', strategy: 'ordered', candidates: ['busy', 'spare'], retry: { attempts: 2, backoff_ms: 10 } },
        { id: 'retired-first', strategy: 'ordered', candidates: ['retired', 'spare'], retry: { attempts: 2, backoff_ms: 10 } },
        { id: 'retired-alone', strategy: 'ordered', candidates: ['retired'], retry: { attempts: 2, backoff_ms: 10 } },
      ],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, primary, secondary));

  const ask = (model: string) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }] }).withResponse();

  /** Milliseconds between the provider receiving the last two calls for a model. */
  const gapBetweenLastTwoCalls = (model: string) => {
    const calls = primary.chatCalls(model);
    assert.ok(calls.length >= 2, `${model} was called ${calls.length} time(s)`);
    return calls.at(-1)!.receivedAt - calls.at(-2)!.receivedAt;
  };

  // Node's timers run on a clock read once per event-loop turn, so a wait can end a few ms before
  // the requested time on performance.now(); ignoring the header gives ~10-20 ms, far below.
  const timerSlackMs = 25;

  for (const status of [503, 429]) {
    it(`waits the provider's retry-after (1 s) before retrying a ${status}, though backoff_ms is 10`, async () => {
      primary.fail({ kind: 'status', status, headers: { 'retry-after': '1' } }, { model: 'patient-model' });
      const { data, response } = await ask('alone');
      assert.equal(response.headers.get('x-switchboard-model'), 'patient');
      assert.equal(response.headers.get('x-switchboard-attempts'), '2');
      assert.match(data.choices[0]?.message.content ?? '', /^Simulated reply from patient-model/);
      const gap = gapBetweenLastTwoCalls('patient-model');
      assert.ok(gap >= 1000 - timerSlackMs, `retried after ${gap.toFixed(0)} ms, before the provider's retry-after of 1000 ms`);
    });
  }

  it('moves on to the next candidate at once after a 429, instead of retrying the rate-limited one', async () => {
    const before = primary.chatCalls('limited-model').length;
    primary.fail({ kind: 'status', status: 429 }, { model: 'limited-model' });
    const { data, response } = await ask('rate-limited');
    assert.equal(response.headers.get('x-switchboard-model'), 'spare', 'the rate-limited candidate was retried');
    assert.equal(response.headers.get('x-switchboard-provider'), 'secondary');
    assert.equal(response.headers.get('x-switchboard-attempts'), '2');
    assert.match(data.choices[0]?.message.content ?? '', /^Simulated reply from spare-model/);
    assert.equal(primary.chatCalls('limited-model').length, before + 1, 'the rate-limited candidate was called again');
    const row = (await gateway.ledgerRow(response))!;
    assert.deepEqual(
      row.attempts.map((attempt) => [attempt.model, attempt.outcome, attempt.errorCode ?? null]),
      [['limited', 'error', 'SB_ERR_UPSTREAM_RATE_LIMITED'], ['spare', 'ok', null]],
    );
  });

  it('waits out a short retry-after of a 429 on the same model, though another candidate is left', async () => {
    const spareCalls = secondary.chatCalls('spare-model').length;
    primary.fail({ kind: 'status', status: 429, headers: { 'retry-after': '1' } }, { model: 'limited-model' });
    const { data, response } = await ask('rate-limited');
    assert.equal(response.headers.get('x-switchboard-model'), 'limited', 'a 429 asking for one second moved on');
    assert.equal(response.headers.get('x-switchboard-attempts'), '2');
    assert.match(data.choices[0]?.message.content ?? '', /^Simulated reply from limited-model/);
    assert.equal(secondary.chatCalls('spare-model').length, spareCalls);
    const gap = gapBetweenLastTwoCalls('limited-model');
    assert.ok(gap >= 1000 - timerSlackMs, `retried after ${gap.toFixed(0)} ms, before the provider's retry-after of 1000 ms`);
  });

  it('moves on at once after a 429 whose retry-after is longer than max_retry_after_ms', async () => {
    const before = primary.chatCalls('limited-model').length;
    primary.fail({ kind: 'status', status: 429, headers: { 'retry-after': '30' } }, { model: 'limited-model' });
    const started = performance.now();
    const { response } = await ask('rate-limited');
    assert.equal(response.headers.get('x-switchboard-model'), 'spare');
    assert.ok(performance.now() - started < 1000, 'waited for a long retry-after instead of moving on');
    assert.equal(primary.chatCalls('limited-model').length, before + 1);
    // The row keeps what the provider said (GET /admin/usage: `retry_after_s`).
    const row = (await gateway.ledgerRow(response))!;
    assert.deepEqual(row.attempts.map((attempt) => attempt.retryAfterSeconds ?? null), [30, null]);
  });

  it("moves on at once from a provider's 404 (an upstream model it does not know): every retry would get it again", async () => {
    const before = primary.chatCalls('retired-model').length;
    const { data, response } = await ask('retired-first');
    assert.equal(response.headers.get('x-switchboard-model'), 'spare');
    assert.equal(response.headers.get('x-switchboard-attempts'), '2');
    assert.match(data.choices[0]?.message.content ?? '', /^Simulated reply from spare-model/);
    assert.equal(primary.chatCalls('retired-model').length, before + 1, 'the unknown upstream model was called again');
    const row = (await gateway.ledgerRow(response))!;
    assert.deepEqual(
      row.attempts.map((attempt) => [attempt.model, attempt.outcome, attempt.errorCode ?? null, attempt.upstreamStatus ?? null]),
      [['retired', 'error', 'SB_ERR_UPSTREAM_NOT_FOUND', 404], ['spare', 'ok', null, 200]],
    );
  });

  it("with no other candidate, answers a provider's 404 after that one attempt, naming it", async () => {
    const before = primary.chatCalls('retired-model').length;
    const answer = await ask('retired-alone').catch((error: unknown) => error);
    assert.ok(answer instanceof Error && 'status' in answer, String(answer));
    assert.equal((answer as { status: number }).status, 502);
    assert.match(answer.message, /1 attempt failed: primary\/retired-model: Provider "primary" answered 404/);
    assert.equal(primary.chatCalls('retired-model').length, before + 1, 'the unknown upstream model was called again');
  });

  it('retries the same candidate after a 503 (its retries come before the next candidate)', async () => {
    const spareCalls = secondary.chatCalls('spare-model').length;
    primary.fail({ kind: 'status', status: 503, headers: { 'retry-after': '0' } }, { model: 'busy-model' });
    const { response } = await ask('unavailable');
    assert.equal(response.headers.get('x-switchboard-model'), 'busy');
    assert.equal(response.headers.get('x-switchboard-attempts'), '2');
    assert.equal(secondary.chatCalls('spare-model').length, spareCalls, 'the next candidate was called while retries were left');
  });
});
