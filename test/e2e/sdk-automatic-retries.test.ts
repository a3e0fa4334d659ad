import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { adminClient } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-sdk-retries';
/** Priced, so that a budget or a cost would show. */
const prices = { input_per_mtok: 100, output_per_mtok: 200 };

/** `call`'s settlement, or a failure after `ms`: an SDK sleeping through a retry-after never settles. */
async function within<T>(ms: number, call: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: the SDK is waiting to retry`)), ms);
  });
  try {
    return await Promise.race([call, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The official SDKs with their default automatic retries (2) against the gateway: what they retry
 * and how long they wait is read from the answer (node_modules/openai/client.mjs `shouldRetry`,
 * `retryRequest`; the same in @anthropic-ai/sdk).
 */
describe('the official SDKs\u2019 automatic retries', () => {
  let simulator: OpenAISimulator;
  /** An OpenAI account out of credit when told to be (its 429 `insufficient_quota`). */
  let broke: OpenAISimulator;
  let gateway: TestGateway;
  let admin: ReturnType<typeof adminClient>;

  before(async () => {
    simulator = await new OpenAISimulator().start();
    broke = await new OpenAISimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey },
        { id: 'broke', type: 'openai', base_url: broke.url, api_key: broke.apiKey },
      ],
      models: [
        { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini', pricing: prices },
        { id: 'unpaid', provider: 'broke', upstream: 'gpt-4o-mini' },
        // One model per injected 429: the router cools a deployment down after it is rate limited.
        { id: 'hourly', provider: 'oai', upstream: 'gpt-4.1-mini' },
        { id: 'hourly-too', provider: 'oai', upstream: 'gpt-4o' },
      ],
      routes: [
        // Retries with a backoff: a retry on the account out of credit would show in both.
        { id: 'unpaid-then-fast', strategy: 'ordered', candidates: ['unpaid', 'fast'], retry: { attempts: 2, backoff_ms: 10_000 } },
        { id: 'unpaid-alone', strategy: 'ordered', candidates: ['unpaid'], retry: { attempts: 2, backoff_ms: 50 } },
      ],
    });
    admin = adminClient(gateway.origin, masterKey);
  });

  after(() => closeAll(gateway, simulator, broke));

  it('raise a provider\u2019s 429 with a long retry-after (an hourly quota) at once instead of sleeping through it', async () => {
    simulator.fail({ kind: 'status', status: 429, headers: { 'retry-after': '3600' } }, { model: 'gpt-4.1-mini' });
    const before = simulator.chatCalls('gpt-4.1-mini').length;
    const rowsBefore = (await gateway.ledger()).length;
    const client = new OpenAI({ baseURL: gateway.baseURL, apiKey: masterKey });
    const error = await within(5000, client.chat.completions.create({ model: 'hourly', messages: [{ role: 'user', content: 'hi' }] }).then(
      () => assert.fail('the rate-limited provider answered'),
      (thrown: unknown) => thrown,
    ));
    assert.ok(error instanceof OpenAI.RateLimitError, String(error));
    assert.equal(error.headers.get('retry-after'), '3600', 'the provider\u2019s wait is passed on');
    assert.equal(error.headers.get('x-should-retry'), 'false');
    // One request, one call: the SDK did not come back.
    assert.equal(simulator.chatCalls('gpt-4.1-mini').length - before, 1);
    assert.equal((await gateway.ledger()).length - rowsBefore, 1);
  });

  it('raise it at once through the Anthropic SDK on /v1/messages as well', async () => {
    simulator.fail({ kind: 'status', status: 429, headers: { 'retry-after': '3600' } }, { model: 'gpt-4o' });
    const anthropic = new Anthropic({ baseURL: gateway.origin, apiKey: masterKey });
    const error = await within(5000, anthropic.messages.create({ model: 'hourly-too', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).then(
      () => assert.fail('the rate-limited provider answered'),
      (thrown: unknown) => thrown,
    ));
    assert.ok(error instanceof Anthropic.RateLimitError, String(error));
    assert.equal(error.headers?.get('x-should-retry'), 'false');
  });

  it('still retry a rate limit whose window reopens within a minute', async () => {
    const created = await admin.post<{ key: string }>('/admin/keys', { name: 'one-a-minute', rpm: 1 });
    const client = new OpenAI({ baseURL: gateway.baseURL, apiKey: created.body.key, maxRetries: 0 });
    await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'first' }] });
    const error = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'second' }] }).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof OpenAI.RateLimitError, String(error));
    assert.ok(Number(error.headers.get('retry-after')) <= 60);
    assert.equal(error.headers.get('x-should-retry'), null, 'the SDK decides from the status, and waits the retry-after out');
  });

  it('are not told to come back in a second by a provider account out of credit: the next candidate answers, or a 502 names it', async () => {
    // platform.openai.com/docs/guides/error-codes: "You exceeded your current quota, please check
    // your plan and billing details" is a 429 of type insufficient_quota, over until someone pays.
    const outOfCredit = { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } };
    const client = new OpenAI({ baseURL: gateway.baseURL, apiKey: masterKey, maxRetries: 0 });
    broke.down({ kind: 'status', status: 429, body: outOfCredit });
    const before = broke.chatCalls().length;
    const started = performance.now();
    const { data, response } = await client.chat.completions.create({ model: 'unpaid-then-fast', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.match(data.choices[0]!.message.content ?? '', /Simulated reply/);
    assert.equal(response.headers.get('x-switchboard-provider'), 'oai');
    assert.equal(broke.chatCalls().length - before, 1, 'the account out of credit was tried again');
    assert.ok(performance.now() - started < 4_000, 'a backoff was waited before the next candidate');
    const row = await gateway.ledgerRow(response);
    assert.deepEqual(row?.attempts.map((attempt) => [attempt.provider, attempt.errorCode ?? null]), [['broke', 'SB_ERR_UPSTREAM_AUTH'], ['oai', null]]);

    const alone = await client.chat.completions.create({ model: 'unpaid-alone', messages: [{ role: 'user', content: 'hi' }] }).catch((thrown: unknown) => thrown);
    assert.ok(alone instanceof OpenAI.InternalServerError, `a 502 for the operator's account, not a RateLimitError: ${String(alone)}`);
    assert.equal(alone.status, 502);
    assert.match(alone.message, /exceeded your current quota/);
    assert.equal(alone.headers.get('retry-after'), null);
    assert.equal(broke.chatCalls().length - before, 2, 'one attempt, no retry on the same account');
    broke.up();
  });
});
