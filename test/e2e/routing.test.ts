import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { anthropicClient } from '../helpers/anthropic-client.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';
import { openaiClient } from '../helpers/openai-client.ts';

const masterKey = 'sb-routing-master';
const price = (input: number, output: number) => ({ input_per_mtok: input, output_per_mtok: output });

/** What /v1/route/explain answers: the candidates, why each was kept or removed, and the pick. */
interface Explanation {
  pick: { model: string };
  strategy: string;
  candidates: Array<{ model: string; status: string; removed_by?: string; reason?: string; score?: number }>;
}

describe('routing engine (two OpenAI-protocol providers)', () => {
  let east: OpenAISimulator;
  let west: OpenAISimulator;
  let onPrem: OpenAISimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    east = await new OpenAISimulator({
      apiKey: 'east-key',
      models: ['cheap-model', 'premium-model', 'slow-model', 'arm-a', 'small-window', 'flaky-model'],
      delays: { 'slow-model': 400 },
      contextWindows: { 'small-window': 50 },
    }).start();
    west = await new OpenAISimulator({ apiKey: 'west-key', models: ['mid-model', 'notools-model', 'tiny-model', 'quick-model', 'arm-b', 'wide-window', 'steady-model'] }).start();
    onPrem = await new OpenAISimulator({ apiKey: 'onprem-key', acceptUnknownFields: true, models: ['llama-local'] }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'east', type: 'openai', base_url: east.url, api_key: 'east-key', cooldown: { failures: 3, seconds: 2 } },
        { id: 'west', type: 'openai-compatible', base_url: west.url, api_key: 'west-key' },
        { id: 'lab', type: 'openai-compatible', base_url: onPrem.url, api_key: 'onprem-key', data_policy: { on_prem: true, retains_data: false } },
      ],
      models: [
        { id: 'cheap', provider: 'east', upstream: 'cheap-model', pricing: price(0.1, 0.4), quality: 0.5, context_window: 100000, capabilities: ['chat', 'tools'] },
        { id: 'mid', provider: 'west', upstream: 'mid-model', pricing: price(0.5, 1.5), quality: 0.75, context_window: 100000, capabilities: ['chat', 'tools'] },
        { id: 'premium', provider: 'east', upstream: 'premium-model', pricing: price(5, 15), quality: 0.95, context_window: 200000, capabilities: ['chat', 'tools', 'vision', 'json_schema'] },
        { id: 'notools', provider: 'west', upstream: 'notools-model', pricing: price(0.01, 0.02), quality: 0.9, context_window: 100000, capabilities: ['chat'] },
        { id: 'tiny', provider: 'west', upstream: 'tiny-model', pricing: price(0.01, 0.02), quality: 0.9, context_window: 30, capabilities: ['chat'] },
        { id: 'slow', provider: 'east', upstream: 'slow-model', pricing: price(1, 1) },
        { id: 'quick', provider: 'west', upstream: 'quick-model', pricing: price(1, 1) },
        { id: 'a', provider: 'east', upstream: 'arm-a' },
        { id: 'b', provider: 'west', upstream: 'arm-b' },
        { id: 'narrow', provider: 'east', upstream: 'small-window', context_window: 50 },
        { id: 'wide', provider: 'west', upstream: 'wide-window', context_window: 100000 },
        { id: 'local', provider: 'lab', upstream: 'llama-local', pricing: price(0, 0) },
        { id: 'flaky', provider: 'east', upstream: 'flaky-model' },
        { id: 'steady', provider: 'west', upstream: 'steady-model' },
      ],
      routes: [
        { id: 'thrifty', strategy: 'cost', candidates: ['premium', 'mid', 'cheap'], min_quality: 0.7 },
        { id: 'too-picky', strategy: 'cost', candidates: ['mid', 'cheap', 'local'], min_quality: 0.99 },
        { id: 'any-cost', strategy: 'cost', candidates: ['premium', 'mid', 'cheap', 'notools'] },
        { id: 'sized', strategy: 'cost', candidates: ['tiny', 'mid'] },
        { id: 'fastest', strategy: 'latency', candidates: ['slow', 'quick'] },
        { id: 'split', strategy: 'balance', candidates: ['a', 'b'], split: [{ model: 'a', weight: 3 }, { model: 'b', weight: 1 }] },
        { id: 'ab-cost', strategy: 'cost', candidates: ['mid'], split: [{ model: 'premium', weight: 1 }] },
        { id: 'by-task', strategy: 'capability', candidates: ['mid', 'premium'] },
        { id: 'context', strategy: 'ordered', candidates: ['narrow', 'wide'] },
        { id: 'guarded', strategy: 'ordered', candidates: ['flaky', 'steady'] },
        { id: 'timed', strategy: 'ordered', candidates: ['slow', 'quick'], timeout_ms: 100 },
        { id: 'hedged', strategy: 'ordered', candidates: ['slow', 'quick'], hedge_after_ms: 50 },
        { id: 'retrying', strategy: 'ordered', candidates: ['cheap'], retry: { attempts: 2, backoff_ms: 10 } },
        { id: 'staging-route', strategy: 'ordered', candidates: ['cheap'] },
        { id: 'everywhere', strategy: 'ordered', candidates: ['mid', 'local'] },
      ],
      rules: [
        { when: { 'metadata.env': 'staging' }, route: 'staging-route' },
        { when: { 'metadata.sensitive': 'true' }, require: { on_prem: true } },
        { when: { 'header.x-team-policy': 'frugal' }, set: { temperature: 0 } },
        { when: { 'metadata.blocked': 'yes' }, deny: 'Blocked by policy for this test.' },
      ],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(async () => {
    await gateway.close();
    await Promise.all([east.close(), west.close(), onPrem.close()]);
  });

  const explain = (body: Record<string, unknown>) => rawPost<Explanation>(gateway.origin, '/v1/route/explain', body, { key: masterKey });
  const ask = (model: string, extra: Record<string, unknown> = {}, options: { headers?: Record<string, string> } = {}) =>
    client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }], ...extra } as never, options).withResponse();

  it('says at start that a route\'s min_quality is above every candidate\'s quality, and only that route', async () => {
    const warnings = gateway.logs.filter((line) => line.includes('min_quality') && line.includes('"level":40'));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /routes\.too-picky: min_quality 0\.99 is above every candidate's quality \(mid 0\.75, cheap 0\.5, local unknown\)/);
    const refused = await rawPost(gateway.origin, '/v1/chat/completions', { model: 'too-picky', messages: [{ role: 'user', content: 'hi' }] }, { key: masterKey });
    assert.equal(refused.status, 400, 'what the warning said: a cost route refuses its requests');
  });

  it('cost: picks the cheapest candidate at or above min_quality', async () => {
    const { response } = await ask('thrifty');
    assert.equal(response.headers.get('x-switchboard-model'), 'mid');
    assert.equal(response.headers.get('x-switchboard-route'), 'thrifty');
  });

  it('capability filter: a tools request skips a route candidate without tools', async () => {
    const plain = await ask('any-cost');
    assert.equal(plain.response.headers.get('x-switchboard-model'), 'notools');
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];
    const withTools = await ask('any-cost', { tools });
    assert.equal(withTools.response.headers.get('x-switchboard-model'), 'cheap');
  });

  it('context-window filter: a prompt too long for a candidate goes to one that fits', async () => {
    const short = await ask('sized');
    assert.equal(short.response.headers.get('x-switchboard-model'), 'tiny');
    const long = await client.chat.completions.create({ model: 'sized', messages: [{ role: 'user', content: 'word '.repeat(200) }] }).withResponse();
    assert.equal(long.response.headers.get('x-switchboard-model'), 'mid');
  });

  it('context-window filter: when no candidate’s window fits, a context-length error with the numbers, in each ingress’s words', async () => {
    const calls = east.requests.length + west.requests.length;
    // About 200 prompt tokens: more than tiny's 30-token window; with 100,000 output tokens asked, more than mid's 100,000.
    const messages = [{ role: 'user' as const, content: 'word '.repeat(200) }];
    const openaiError = await client.chat.completions.create({ model: 'sized', messages, max_tokens: 100_000 }).catch((error: unknown) => error);
    assert.ok(openaiError instanceof OpenAI.BadRequestError, `expected a 400, got ${String(openaiError)}`);
    assert.equal(openaiError.code, 'context_length_exceeded', 'as OpenAI codes its own: what LiteLLM-style clients test for');
    assert.equal(openaiError.param, 'messages');
    assert.match(openaiError.message, /needs 100\d\d\d tokens \(\d+ in the prompt, 100000 for the completion\), and the largest window is 100000 tokens \(tiny: context window 30 < \d+ tokens needed; mid: context window 100000 < 100\d+ tokens needed\)/);
    // Claude Code lowers max_tokens on Anthropic's wording of the same overflow, and compacts on "prompt is too long".
    const anthropic = anthropicClient(gateway, masterKey);
    // Streamed, as Claude Code asks (the SDK refuses a non-streamed call this long).
    const outputTooLong = await anthropic.messages.create({ model: 'sized', max_tokens: 100_000, messages, stream: true }).catch((error: unknown) => error);
    assert.ok(outputTooLong instanceof Anthropic.BadRequestError, `expected a 400, got ${String(outputTooLong)}`);
    const wording = (error: InstanceType<typeof Anthropic.APIError>) => (error.error as { error?: { message?: string } } | undefined)?.error?.message ?? '';
    const numbers = /^input length and `max_tokens` exceed context limit: (\d+) \+ 100000 > 100000, decrease input length or `max_tokens` and try again/.exec(wording(outputTooLong));
    assert.ok(numbers, `Anthropic's wording, got ${wording(outputTooLong)}`);
    assert.ok(Number(numbers[1]) > 30 && Number(numbers[1]) < 1000, 'the prompt as counted');
    const promptTooLong = await anthropic.messages.create({ model: 'sized', max_tokens: 10, messages: [{ role: 'user', content: 'word '.repeat(100_001) }] }).catch((error: unknown) => error);
    assert.ok(promptTooLong instanceof Anthropic.BadRequestError, `expected a 400, got ${String(promptTooLong)}`);
    assert.match(wording(promptTooLong), /^prompt is too long: 100\d{3} tokens > 100000 maximum \(/);
    assert.equal(east.requests.length + west.requests.length, calls, 'no provider called');
  });

  it('a model named directly is not removed for capabilities', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];
    const { response } = await ask('notools', { tools });
    assert.equal(response.headers.get('x-switchboard-model'), 'notools');
  });

  it('falls back to a larger window after a context-length error from the provider', async () => {
    const before = east.chatCalls('small-window').length;
    // ~30 tokens by our count (fits the configured 50), more by the simulator's: the provider refuses it.
    const { data, response } = await client.chat.completions
      .create({ model: 'context', messages: [{ role: 'user', content: 'this prompt is longer than fifty simulated tokens '.repeat(4) }] })
      .withResponse();
    assert.equal(east.chatCalls('small-window').length, before + 1);
    assert.equal(response.headers.get('x-switchboard-model'), 'wide');
    assert.equal(response.headers.get('x-switchboard-attempts'), '2');
    assert.ok(data.choices[0]?.message.content);
    const row = (await gateway.ledgerRow(response))!;
    assert.equal(row.attempts[0]?.errorCode, 'SB_ERR_CONTEXT_LENGTH');
  });

  it('does not call a candidate whose configured window the prompt exceeds', async () => {
    const before = east.chatCalls('small-window').length;
    const { response } = await client.chat.completions.create({ model: 'context', messages: [{ role: 'user', content: 'word '.repeat(80) }] }).withResponse();
    assert.equal(east.chatCalls('small-window').length, before);
    assert.equal(response.headers.get('x-switchboard-model'), 'wide');
    assert.equal(response.headers.get('x-switchboard-attempts'), '1');
  });

  it('latency: learns which candidate answers faster and sends traffic there', async () => {
    for (let index = 0; index < 4; index += 1) await ask('fastest');
    const picks = [];
    for (let index = 0; index < 20; index += 1) picks.push((await ask('fastest')).response.headers.get('x-switchboard-model'));
    const quick = picks.filter((pick) => pick === 'quick').length;
    // 10% of requests probe the other candidate (src/router/strategies/latency.ts): 2 of 20 on
    // average, and 6 or more in about 1% of runs (binomial), which failed a run of the suite. 8 or
    // more happen in 0.04% of runs; a strategy that had not learned would send about half.
    assert.ok(quick >= 13, `quick answered ${quick} of 20`);
  });

  it('balance: splits 3:1 within statistical bounds', async () => {
    const counts = { a: 0, b: 0 };
    await Promise.all(
      Array.from({ length: 400 }, async () => {
        const { response } = await ask('split');
        counts[response.headers.get('x-switchboard-model') as 'a' | 'b'] += 1;
      }),
    );
    const share = counts.a / 400;
    // Binomial(400, 0.75): standard deviation 0.0217; 4 sigma either side.
    assert.ok(share > 0.66 && share < 0.84, `arm a got ${share}`);
  });

  // An outside routing probe: an arm not listed in `candidates` got no traffic, and the ledger's
  // reason named the ranking's pick where the arm answered.
  it('split on a ranking strategy: the arm goes first, listed in candidates or not, and the reason says so', async () => {
    const { response } = await ask('ab-cost');
    assert.equal(response.headers.get('x-switchboard-model'), 'premium');
    const row = await gateway.ledgerRow(response);
    assert.match(row?.reason ?? '', /split arm premium first/);
  });

  it('balance: sticky arms per user', async () => {
    const arms = new Map<string, Set<string>>();
    for (const user of ['ann', 'bob', 'cy', 'dee', 'eve', 'fay', 'gus', 'hal']) {
      for (let index = 0; index < 5; index += 1) {
        const { response } = await ask('split', { user });
        const set = arms.get(user) ?? new Set();
        set.add(response.headers.get('x-switchboard-model')!);
        arms.set(user, set);
      }
    }
    for (const [user, set] of arms) assert.equal(set.size, 1, `user ${user} saw arms ${[...set]}`);
  });

  it('capability strategy: prefers a model tagged for metadata.task', async () => {
    const plain = await ask('by-task');
    assert.equal(plain.response.headers.get('x-switchboard-model'), 'premium');
  });

  it('rules: metadata routes staging traffic and keeps sensitive data on-prem', async () => {
    const staging = await ask('any-cost', { metadata: { env: 'staging' } });
    assert.equal(staging.response.headers.get('x-switchboard-route'), 'staging-route');
    const before = west.chatCalls().length;
    const sensitive = await client.chat.completions
      .create({ model: 'everywhere', messages: [{ role: 'user', content: 'my diagnosis' }] }, { headers: { 'x-switchboard-metadata': JSON.stringify({ sensitive: 'true' }) } })
      .withResponse();
    assert.equal(sensitive.response.headers.get('x-switchboard-model'), 'local');
    assert.equal(west.chatCalls().length, before, 'a non-on-prem provider was called with sensitive data');
    const lastLocal = onPrem.chatCalls().at(-1)!;
    assert.equal('metadata' in lastLocal.body!, false);
  });

  it('rules: deny answers 403 and parameter overrides reach the provider (and are recorded)', async () => {
    await assert.rejects(ask('cheap', { metadata: { blocked: 'yes' } }), (error: unknown) => error instanceof OpenAI.PermissionDeniedError && /Blocked by policy/.test(error.message));
    const { response } = await ask('cheap', { temperature: 0.9 }, { headers: { 'x-team-policy': 'frugal' } });
    assert.equal(east.chatCalls('cheap-model').at(-1)?.body?.temperature, 0);
    const row = (await gateway.ledgerRow(response))!;
    assert.ok(row.warnings.some((warning) => warning.setting === 'temperature'));
  });

  it('OpenRouter-style models list falls back in order, and no hint reaches a provider', async () => {
    east.fail({ kind: 'status', status: 500 }, { model: 'premium-model' });
    const { response } = await ask('premium', { models: ['mid', 'cheap'], provider: { sort: 'price', allow_fallbacks: true }, metadata: { team: 'x' } });
    assert.equal(response.headers.get('x-switchboard-model'), 'mid');
    assert.equal(response.headers.get('x-switchboard-attempts'), '2');
    for (const call of [...east.requests, ...west.requests, ...onPrem.requests]) {
      for (const hint of ['models', 'provider', 'metadata']) assert.equal(call.body && hint in call.body, false, `${hint} reached ${call.path}`);
    }
  });

  it('OpenRouter provider.only / ignore / allow_fallbacks', async () => {
    const only = await ask('any-cost', { provider: { only: ['east'] } });
    assert.equal(only.response.headers.get('x-switchboard-provider'), 'east');
    const ignore = await ask('any-cost', { provider: { ignore: ['openai-compatible'] } });
    assert.equal(ignore.response.headers.get('x-switchboard-provider'), 'east');
    east.fail({ kind: 'status', status: 500 }, { model: 'premium-model' });
    await assert.rejects(ask('premium', { models: ['mid'], provider: { allow_fallbacks: false } }), (error: unknown) => error instanceof OpenAI.InternalServerError || (error as { status?: number }).status === 502);
  });

  it('cuts a hung candidate at the route timeout and moves on at once', async () => {
    const started = Date.now();
    const { response } = await ask('timed');
    assert.equal(response.headers.get('x-switchboard-model'), 'quick');
    assert.equal(response.headers.get('x-switchboard-attempts'), '2');
    assert.ok(Date.now() - started < 380, 'waited for the hung candidate instead of cutting it at 100 ms');
  });

  it('hedges: a second candidate starts when the first is slow, and the first answer wins', async () => {
    const started = Date.now();
    const { response } = await ask('hedged');
    assert.equal(response.headers.get('x-switchboard-model'), 'quick');
    assert.ok(Date.now() - started < 350, 'did not wait for the slow candidate');
    // The lost call is entered before the answer (and its ledger row) goes out, not after.
    assert.equal(response.headers.get('x-switchboard-attempts'), '2');
    const row = (await gateway.ledgerRow(response))!;
    assert.deepEqual(row.attempts.map((attempt) => [attempt.model, attempt.outcome]).sort(), [['quick', 'ok'], ['slow', 'aborted']]);
    // The lost call's provider had the prompt: the row counts it (estimated) at the slow model's
    // input price ($1 per million), on top of the answer, instead of nothing.
    const lost = row.attempts.find((attempt) => attempt.model === 'slow')!;
    assert.ok((lost.inputTokens ?? 0) > 0, 'the lost call was billed nothing');
    assert.equal(lost.outputTokens, 0);
    assert.ok(Math.abs((lost.costUsd ?? 0) - lost.inputTokens! / 1e6) < 1e-12);
    assert.ok(row.tokensEstimated);
    const answered = row.attempts.find((attempt) => attempt.model === 'quick')!;
    assert.equal(answered.inputTokens, undefined);
    assert.ok(row.costUsd > lost.costUsd!, 'the answer and the lost call both count');
  });

  it('retries a failing candidate with backoff, honouring retry-after', async () => {
    east.fail({ kind: 'status', status: 503, headers: { 'retry-after': '0' } }, { model: 'cheap-model', times: 2 });
    const { response } = await ask('retrying');
    assert.equal(response.headers.get('x-switchboard-attempts'), '3');
    assert.equal(response.headers.get('x-switchboard-model'), 'cheap');
  });

  it('cooldown: a deployment that keeps failing is not called again until its cooldown passes', async () => {
    east.fail({ kind: 'status', status: 500 }, { model: 'flaky-model', times: 3 });
    for (let index = 0; index < 3; index += 1) assert.equal((await ask('guarded')).response.headers.get('x-switchboard-model'), 'steady');
    const calls = east.chatCalls('flaky-model').length;
    for (let index = 0; index < 5; index += 1) {
      const { response } = await ask('guarded');
      assert.equal(response.headers.get('x-switchboard-attempts'), '1', 'the cooled-down deployment was tried');
    }
    assert.equal(east.chatCalls('flaky-model').length, calls, 'flaky-model was called during its cooldown');
    const { body: explained } = await explain({ model: 'guarded', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(explained.candidates.find((candidate) => candidate.model === 'flaky')?.removed_by, 'cooldown');
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const probe = await ask('guarded');
    assert.equal(probe.response.headers.get('x-switchboard-model'), 'flaky', 'a half-open probe goes to the recovered deployment');
    assert.equal(east.chatCalls('flaky-model').length, calls + 1);
  });

  it('explain: returns candidates, removals, scores and the pick without calling a provider', async () => {
    const before = east.requests.length + west.requests.length + onPrem.requests.length;
    const { status, body } = await explain({ model: 'thrifty', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'f' } }] });
    assert.equal(status, 200);
    assert.equal(body.strategy, 'cost');
    assert.equal(body.pick.model, 'mid');
    const cheap = body.candidates.find((candidate) => candidate.model === 'cheap')!;
    assert.equal(cheap.removed_by, 'cost');
    assert.match(cheap.reason!, /min_quality/);
    assert.ok(typeof body.candidates.find((candidate) => candidate.model === 'premium')!.score === 'number');
    assert.equal(east.requests.length + west.requests.length + onPrem.requests.length, before);
    const ledger = await gateway.ledger();
    assert.equal(ledger.some((row) => row.modelRequested === 'thrifty' && row.attempts.length === 0 && row.status === 'ok'), false);
  });

  it('records the routing reason and every attempt in the ledger', async () => {
    east.fail({ kind: 'status', status: 502 }, { model: 'premium-model' });
    const { response } = await ask('premium', { models: ['mid'] });
    const row = (await gateway.ledgerRow(response))!;
    assert.match(row.reason ?? '', /named directly/);
    assert.deepEqual(row.attempts.map((attempt) => [attempt.model, attempt.outcome]), [['premium', 'error'], ['mid', 'ok']]);
  });
});
