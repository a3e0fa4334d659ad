import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminClient, chat } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { OpenAISimulator, openAIModels } from '../simulators/openai/server.ts';

/**
 * Issue 13, defect 5: `<provider>/<upstream>` with an upstream not in the catalog cost $0 and so
 * skipped budgets (200 of 200 concurrent requests admitted on a $0.05 budget, $0 recorded).
 * An unknown price never means free: the configured model's pricing applies to its address,
 * budgeted keys cannot use unpriced models, and an unpriced answer is flagged in the ledger.
 */

const masterKey = 'sb-master-unpriced';
const prices = { input_per_mtok: 100, output_per_mtok: 200 };
const tuned = 'ft:gpt-4o-mini:acme:tuned';
const unlisted = 'ft:gpt-4o-mini:acme:other';

describe('models without a catalog price', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;
  let admin: ReturnType<typeof adminClient>;
  let budgetKey: { id: string; key: string };

  before(async () => {
    simulator = await new OpenAISimulator({ models: [...openAIModels, tuned, unlisted, 'llama-local'] }).start();
    // Slow answers keep concurrent requests in flight together.
    simulator.fail({ kind: 'slow', delayMs: 60 }, { times: 1_000_000 });
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey },
        { id: 'lab', type: 'openai-compatible', base_url: simulator.url, api_key: simulator.apiKey, data_policy: { on_prem: true, retains_data: false } },
      ],
      models: [{ id: 'tuned', provider: 'oai', upstream: tuned, pricing: prices }],
    });
    admin = adminClient(gateway.origin, masterKey);
    const created = await admin.post<{ id: string; key: string }>('/admin/keys', { name: 'budgeted', budget_usd: 0.05, budget_period: 'total' });
    assert.equal(created.status, 201, created.text);
    budgetKey = created.body;
  });
  after(() => closeAll(gateway, simulator));

  const ask = (key: string, model: string) => chat(gateway.origin, key, { model, max_tokens: 40, messages: [{ role: 'user', content: 'count to three' }] });

  it('refuses an unpriced model to a budgeted key with a 403 naming it, before any provider call', async () => {
    const calls = simulator.chatCalls().length;
    const answer = await ask(budgetKey.key, `oai/${unlisted}`);
    assert.equal(answer.status, 403, answer.text);
    assert.equal(answer.json?.error?.code, 'model_price_unknown');
    assert.match(answer.json!.error!.message, /price unknown/);
    assert.equal(simulator.chatCalls().length, calls, 'no provider was called');
    const row = await gateway.ledgerRow(answer);
    assert.equal(row?.status, 'error');
    assert.equal(row?.httpStatus, 403);
  });

  it('prices an address with the pricing of the models entry for the same upstream', async () => {
    const answer = await ask(budgetKey.key, `oai/${tuned}`);
    assert.equal(answer.status, 200, answer.text);
    const usage = answer.json!.usage!;
    const expected = (usage.prompt_tokens * prices.input_per_mtok + usage.completion_tokens * prices.output_per_mtok) / 1e6;
    assert.ok(expected > 0);
    assert.ok(Math.abs(Number(answer.headers.get('x-switchboard-cost-usd')) - expected) < 1e-9);
    assert.ok(Math.abs((await gateway.ledgerRow(answer))!.costUsd - expected) < 1e-9);
  });

  it('holds the budget through the address under 60 concurrent requests', async () => {
    const created = await admin.post<{ id: string; key: string }>('/admin/keys', { name: 'concurrent', budget_usd: 0.05, budget_period: 'total' });
    const key = created.body;
    const answers = await Promise.all(Array.from({ length: 60 }, () => ask(key.key, `oai/${tuned}`)));
    const admitted = answers.filter((answer) => answer.status === 200).length;
    const refused = answers.filter((answer) => answer.status === 429).length;
    assert.equal(admitted + refused, 60);
    const spent = (await gateway.ledger()).filter((row) => row.keyId === key.id).reduce((sum, row) => sum + row.costUsd, 0);
    // Each answer costs about $0.003 and reserves about $0.009: admission stops well before 60.
    assert.ok(admitted < 20, `${admitted} of 60 admitted`);
    assert.ok(spent > 0 && spent <= 0.05 + 0.01, `spent $${spent}`);
  });

  it('serves an unpriced model to the master key, recording $0 with a warning', async () => {
    const answer = await ask(masterKey, `oai/${unlisted}`);
    assert.equal(answer.status, 200, answer.text);
    const row = await gateway.ledgerRow(answer);
    assert.equal(row?.costUsd, 0);
    assert.ok(row?.warnings.some((warning) => warning.setting === 'pricing' && /price unknown/.test(warning.message)), JSON.stringify(row?.warnings));
  });

  it('lets a budgeted key use a self-hosted model, which costs $0 without a warning', async () => {
    const answer = await ask(budgetKey.key, 'lab/llama-local');
    assert.equal(answer.status, 200, answer.text);
    const row = await gateway.ledgerRow(answer);
    assert.equal(row?.costUsd, 0);
    assert.deepEqual(row?.warnings.filter((warning) => warning.setting === 'pricing'), []);
  });
});
