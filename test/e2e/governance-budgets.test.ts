import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { adminClient, chat } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';
import { openaiClient } from '../helpers/openai-client.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-governance-budgets';
/** Expensive on purpose, so a few requests spend a budget: $100 / $200 per million tokens. */
const prices = { input_per_mtok: 100, output_per_mtok: 200 };

describe('budgets and rate limits (real gateway, SQLite file)', () => {
  let simulator: OpenAISimulator;
  /** Answers every call after 80 ms, so concurrent requests are in flight together. */
  let slowSimulator: OpenAISimulator;
  let gateway: TestGateway;
  let admin: ReturnType<typeof adminClient>;

  const createKey = async (body: Record<string, unknown>) => {
    const answer = await admin.post<{ id: string; key: string }>('/admin/keys', body);
    assert.equal(answer.status, 201, answer.text);
    return answer.body;
  };
  const ask = (key: string, model = 'fast', extra: Record<string, unknown> = {}) =>
    chat(gateway.origin, key, { model, messages: [{ role: 'user', content: 'count to three' }], ...extra });
  const spentOf = async (id: string) => (await admin.get<{ spent_usd: number }>(`/admin/keys/${id}`)).body.spent_usd;
  const ledgerSpend = async (id: string) => (await gateway.ledger()).filter((row) => row.keyId === id).reduce((sum, row) => sum + row.costUsd, 0);

  before(async () => {
    simulator = await new OpenAISimulator().start();
    slowSimulator = await new OpenAISimulator().start();
    slowSimulator.fail({ kind: 'slow', delayMs: 80 }, { times: 1_000_000 });
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey },
        { id: 'slow', type: 'openai', base_url: slowSimulator.url, api_key: slowSimulator.apiKey },
      ],
      models: [
        { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini', pricing: prices },
        { id: 'smart', provider: 'oai', upstream: 'gpt-4o', pricing: prices },
        { id: 'slow-fast', provider: 'slow', upstream: 'gpt-4o-mini', pricing: prices },
        { id: 'slow-embed', provider: 'slow', upstream: 'text-embedding-3-small', pricing: { input_per_mtok: 100, output_per_mtok: 0 } },
      ],
    });
    admin = adminClient(gateway.origin, masterKey);
  });

  after(() => closeAll(gateway, simulator, slowSimulator));

  it('puts the cost at the configured prices in the header and the same row in /admin/usage by request id', async () => {
    const key = await createKey({ name: 'costed', team: 'finance' });
    const client = openaiClient(gateway, key.key);
    const { data, response } = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'price this' }] }).withResponse();
    const usage = data.usage!;
    const expected = (usage.prompt_tokens * prices.input_per_mtok + usage.completion_tokens * prices.output_per_mtok) / 1e6;
    const header = Number(response.headers.get('x-switchboard-cost-usd'));
    assert.ok(Math.abs(header - expected) < 1e-8, `header ${header} vs ${expected}`);
    const requestId = response.headers.get('x-request-id')!;
    const rows = await admin.get<{ data: Array<Record<string, unknown>> }>(`/admin/usage?request_id=${requestId}`);
    assert.equal(rows.status, 200);
    assert.equal(rows.body.data.length, 1);
    const row = rows.body.data[0]!;
    assert.equal(row.id, requestId);
    assert.equal(row.key_id, key.id);
    assert.equal(row.team, 'finance');
    assert.equal(row.model_requested, 'fast');
    assert.equal(row.model, 'fast');
    assert.equal(row.provider, 'oai');
    assert.equal(row.input_tokens, usage.prompt_tokens);
    assert.equal(row.output_tokens, usage.completion_tokens);
    assert.ok(Math.abs(Number(row.cost_usd) - header) < 1e-8);
    assert.equal(row.status, 'ok');
    for (const field of ['time', 'route', 'attempts', 'latency_ms', 'ttft_ms', 'reason', 'metadata']) assert.ok(field in row, `row lacks ${field}`);
  });

  it('stops a small total budget with 429 within one request of the limit', async () => {
    const budget = 0.02;
    const key = await createKey({ name: 'small-budget', budget_usd: budget, budget_period: 'total' });
    let answered = 0;
    let last: Awaited<ReturnType<typeof ask>> | undefined;
    for (let index = 0; index < 100; index += 1) {
      last = await ask(key.key);
      if (last.status !== 200) break;
      answered += 1;
    }
    assert.equal(last?.status, 429, last?.text);
    assert.equal(last?.json?.error?.type, 'insufficient_quota');
    assert.equal(last?.json?.error?.code, 'budget_exceeded');
    assert.match(last?.json?.error?.message ?? '', /Budget exceeded for key "small-budget"/);
    // A total budget never resets by itself: a day, as every 429 says when to come back.
    assert.equal(last?.headers.get('retry-after'), '86400');
    const spent = await ledgerSpend(key.id);
    const perRequest = spent / answered;
    assert.ok(answered >= 2, `only ${answered} requests before the budget stopped`);
    assert.ok(spent >= budget, `stopped early: spent ${spent} of ${budget}`);
    assert.ok(spent - budget <= perRequest + 1e-9, `overspent by ${spent - budget}, more than one request (${perRequest})`);
    assert.ok(Math.abs((await spentOf(key.id)) - spent) < 1e-8, 'spent_usd agrees with the ledger');
    assert.equal((await ask(key.key)).status, 429, 'a spent budget stays spent');
    assert.equal(simulator.chatCalls().length > 0, true);
  });

  it('fails an official SDK call at once on a spent budget, instead of the SDK sleeping out retry-after', async () => {
    // Retries on, as applications run the SDK: it retries a 429 after its retry-after, however
    // long (openai 6.x), unless the answer says `x-should-retry: false`.
    // A day's budget comes back at 00:00 UTC, and one that comes back within the minute is worth
    // the SDK's wait by design (no x-should-retry: false): in the last two minutes of a UTC day
    // the day's case is left out, or the test would fail at that hour alone.
    const now = new Date();
    const toMidnightMs = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime();
    for (const budget_period of toMidnightMs > 120_000 ? (['total', 'day'] as const) : (['total'] as const)) {
      const key = await createKey({ name: `spent-${budget_period}`, budget_usd: 0, budget_period });
      const client = new OpenAI({ baseURL: gateway.baseURL, apiKey: key.key });
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }).then(
          () => 'answered',
          (error: unknown) => error,
        ),
        new Promise((resolve) => (timer = setTimeout(() => resolve('still waiting'), 10_000))),
      ]);
      clearTimeout(timer);
      assert.ok(outcome instanceof OpenAI.RateLimitError, `${budget_period}: ${String(outcome)} after ${Date.now() - started} ms`);
      assert.equal(outcome.code, 'budget_exceeded');
      assert.equal(outcome.headers.get('x-should-retry'), 'false');
      assert.ok(Number(outcome.headers.get('retry-after')) > 0, 'retry-after still says when the budget comes back');
      assert.equal((await gateway.ledger()).filter((row) => row.keyId === key.id).length, 1, 'one request, not retried');
    }
    // A budget only held by requests in flight is worth retrying soon: no such header.
    const held = await rawPost(gateway.origin, '/v1/chat/completions', { model: 'fast', messages: [{ role: 'user', content: 'hi' }] }, { key: (await createKey({ name: 'unspent', budget_usd: 1 })).key });
    assert.equal(held.headers.get('x-should-retry'), null);
  });

  it('counts what a key and its team spent before a budget was set on them (a new budget started from $0)', async () => {
    assert.equal((await admin.post('/admin/teams', { name: 'late-team' })).status, 201);
    const key = await createKey({ name: 'late-budget', team: 'late-team' });
    const teamSpent = async () => (await admin.get<{ spent_usd: number }>('/admin/teams/late-team')).body.spent_usd;
    // Read before any request: the spend of both is loaded now, and must then follow.
    assert.deepEqual([await spentOf(key.id), await teamSpent()], [0, 0]);
    for (let index = 0; index < 3; index += 1) assert.equal((await ask(key.key)).status, 200);
    const spent = await ledgerSpend(key.id);
    assert.ok(Math.abs((await spentOf(key.id)) - spent) < 1e-8, `key spent_usd ${await spentOf(key.id)} vs the ledger's ${spent}`);
    assert.ok(Math.abs((await teamSpent()) - spent) < 1e-8, `team spent_usd ${await teamSpent()} vs the ledger's ${spent}`);
    // A team budget below what was spent already: the next request is refused, not three more.
    assert.equal((await admin.patch('/admin/teams/late-team', { budget_usd: spent / 2, budget_period: 'total' })).status, 200);
    const refused = await ask(key.key);
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.json?.error?.code, 'budget_exceeded');
    assert.match(refused.json?.error?.message ?? '', /team "late-team"/);
  });

  it('holds 50 concurrent requests to the budget: overspend at most the requests in flight', async () => {
    const budget = 0.05;
    const key = await createKey({ name: 'concurrent', budget_usd: budget });
    {
      let admitted = 0;
      let largestWave = 0;
      let maxCost = 0;
      for (let wave = 0; wave < 20; wave += 1) {
        const answers = await Promise.all(Array.from({ length: 50 }, () => ask(key.key, 'slow-fast', { max_tokens: 20 })));
        const ok = answers.filter((answer) => answer.status === 200);
        for (const answer of ok) maxCost = Math.max(maxCost, Number(answer.headers.get('x-switchboard-cost-usd')));
        assert.ok(answers.every((answer) => answer.status === 200 || answer.status === 429), 'only 200 and 429');
        admitted += ok.length;
        largestWave = Math.max(largestWave, ok.length);
        if (ok.length === 0) break;
      }
      const spent = await ledgerSpend(key.id);
      const overspend = Math.max(0, spent - budget);
      // At most the requests in flight at once (never more than a wave's admissions) × the dearest request.
      const bound = largestWave * maxCost;
      assert.ok(overspend <= bound + 1e-9, `overspend ${overspend} > bound ${bound}`);
      assert.ok(admitted > 1 && largestWave < 50, `admitted ${admitted}, largest wave ${largestWave}`);
      process.stdout.write(`# budget ${budget}: ${admitted} admitted, largest concurrent wave ${largestWave}, spent ${spent.toFixed(6)}, overspend ${overspend.toFixed(6)} (bound ${bound.toFixed(6)})\n`);
    }
  });

  // An outside probe: requests whose reservation fell far short of their bill (token-id embeddings
  // reserved $0, `n` answers were reserved as one, an image as 85 tokens) let concurrent requests
  // spend a budget 3.7-12.5 times over. Two at once: the first one's reservation must hold the
  // second back when it covers the budget, and only then.
  it('reserves what a request may cost whatever its shape: n answers, an image, token ids to embed', async () => {
    const pair = async (budget: number, send: (key: string) => Promise<{ status: number; text: string }>) => {
      const key = await createKey({ name: `shape-${budget}-${Math.random()}`, budget_usd: budget });
      const answers = await Promise.all([send(key.key), send(key.key)]);
      return answers.map((answer) => (answer.status === 429 ? (JSON.parse(answer.text) as { error: { code: string } }).error.code : answer.status)).sort();
    };
    // 8 answers of up to 1,000 tokens at $200 per million: $1.60 held against a $1 budget; one answer $0.20.
    assert.deepStrictEqual(await pair(1, (key) => ask(key, 'slow-fast', { max_tokens: 1000, n: 8 })), [200, 'budget_reserved']);
    assert.deepStrictEqual(await pair(1, (key) => ask(key, 'slow-fast', { max_tokens: 1000 })), [200, 200]);
    // An image may be billed thousands of tokens: $0.40 held at $100 per million against $0.30.
    const image = { role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] };
    assert.deepStrictEqual(await pair(0.3, (key) => chat(gateway.origin, key, { model: 'slow-fast', max_tokens: 10, messages: [image] })), [200, 'budget_reserved']);
    // 5,000 token ids to embed are 5,000 tokens: $0.50 at $100 per million against $0.30.
    const embed = (key: string) => rawPost(gateway.origin, '/v1/embeddings', { model: 'slow-embed', input: [Array.from({ length: 5_000 }, (_, index) => index % 1000)] }, { key });
    assert.deepStrictEqual(await pair(0.3, embed), [200, 'budget_reserved']);
  });

  it('limits requests per minute with 429 and retry-after', async () => {
    const key = await createKey({ name: 'rpm', rpm: 3 });
    for (let index = 0; index < 3; index += 1) assert.equal((await ask(key.key)).status, 200);
    const limited = await ask(key.key);
    assert.equal(limited.status, 429);
    assert.equal(limited.json?.error?.type, 'rate_limit_error');
    assert.equal(limited.json?.error?.code, 'rate_limit_exceeded');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `retry-after ${limited.headers.get('retry-after')}`);
    const client = openaiClient(gateway, key.key);
    await assert.rejects(client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => error instanceof OpenAI.RateLimitError);
  });

  it('limits tokens per minute and per-model requests', async () => {
    const tokens = await createKey({ name: 'tpm', tpm: 40 });
    let status = 200;
    let sent = 0;
    while (status === 200 && sent < 20) {
      status = (await ask(tokens.key)).status;
      sent += 1;
    }
    assert.equal(status, 429);
    assert.ok(sent > 1, 'the first request always passes an empty window');
    const perModel = await createKey({ name: 'per-model', model_limits: { 'sm*': { rpm: 1 } } });
    assert.equal((await ask(perModel.key, 'smart')).status, 200);
    const limited = await ask(perModel.key, 'smart');
    assert.equal(limited.status, 429);
    assert.match(limited.json?.error?.message ?? '', /models "sm\*"/);
    assert.equal((await ask(perModel.key, 'fast')).status, 200, 'other models are not limited');
  });

  it('applies team limits together with key limits', async () => {
    const team = await admin.post<{ id: string; name: string }>('/admin/teams', { name: 'growth', rpm: 3 });
    assert.equal(team.status, 201, team.text);
    const first = await createKey({ name: 'growth-a', team: 'growth', rpm: 10 });
    const second = await createKey({ name: 'growth-b', team: team.body.id, rpm: 1 });
    assert.equal((await admin.get<{ team: string }>(`/admin/keys/${second.id}`)).body.team, 'growth', 'a team named by id is recorded by name');
    assert.equal((await ask(second.key)).status, 200);
    const keyLimited = await ask(second.key);
    assert.equal(keyLimited.status, 429);
    assert.match(keyLimited.json?.error?.message ?? '', /key "growth-b"/);
    assert.equal((await ask(first.key)).status, 200);
    assert.equal((await ask(first.key)).status, 200);
    const teamLimited = await ask(first.key);
    assert.equal(teamLimited.status, 429);
    assert.match(teamLimited.json?.error?.message ?? '', /team "growth"/);

    const budgeted = await admin.post<{ id: string }>('/admin/teams', { name: 'tiny', budget_usd: 0.000001, budget_period: 'month' });
    const member = await createKey({ name: 'tiny-member', team: 'tiny' });
    assert.equal((await ask(member.key)).status, 200);
    const spent = await ask(member.key);
    assert.equal(spent.status, 429);
    assert.match(spent.json?.error?.message ?? '', /team "tiny"/);
    const retryAfter = Number(spent.headers.get('retry-after'));
    const nextMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1));
    assert.ok(Math.abs(retryAfter - (nextMonth.getTime() - Date.now()) / 1000) < 5, 'retry-after points at the start of next month (UTC)');
    const teamView = await admin.get<{ spent_usd: number; budget_usd: number }>(`/admin/teams/${budgeted.body.id}`);
    assert.ok(teamView.body.spent_usd > teamView.body.budget_usd);
    const spend = await admin.get<{ data: Array<{ kind: string; name: string; spent_usd: number; resets_at: string | null }> }>('/admin/spend');
    const tiny = spend.body.data.find((entry) => entry.kind === 'team' && entry.name === 'tiny');
    assert.equal(tiny?.resets_at, nextMonth.toISOString());
  });

  it('resets a daily budget at UTC midnight (retry-after says when)', async () => {
    const key = await createKey({ name: 'daily', budget_usd: 0.000001, budget_period: 'day' });
    assert.equal((await ask(key.key)).status, 200);
    const spent = await ask(key.key);
    assert.equal(spent.status, 429);
    const now = new Date();
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    assert.ok(Math.abs(Number(spent.headers.get('retry-after')) - (midnight - Date.now()) / 1000) < 5);
    assert.match(spent.json?.error?.message ?? '', /resets at/);
  });
});
