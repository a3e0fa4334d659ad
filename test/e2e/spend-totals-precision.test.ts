import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { openaiClient } from '../helpers/openai-client.ts';

const masterKey = 'sb-spend-precision-master';

/**
 * A row's cost is kept to 1e-12 USD (src/ledger/cost.ts); the totals read from the ledger
 * (/admin/usage/summary, a key's spent_usd in /admin/keys and /admin/spend) are the sum of the
 * rows, not that sum rounded to 1e-8, which made a cheap model's total differ from its rows.
 */
describe('spend totals equal the sum of ledger rows (official openai SDK)', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;

  before(async () => {
    simulator = await new OpenAISimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      // Cohere's command-r7b list price: $0.0375 / $0.15 per Mtok.
      models: [{ id: 'cheap', provider: 'oai', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 0.0375, output_per_mtok: 0.15 } }],
    });
  });

  after(() => closeAll(gateway, simulator));

  const admin = async (path: string, body?: unknown) => {
    const response = await fetch(`${gateway.origin}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await response.json()) as Record<string, unknown>;
  };

  it('reports the summary, spent_usd and /admin/spend to the rows\' precision', async () => {
    const key = (await admin('/admin/keys', { name: 'cheap-caller', budget_usd: 5, budget_period: 'month' })) as { id: string; key: string };
    const client = openaiClient(gateway, key.key);
    for (const content of ['hi', 'hello there', 'how much does this cost?']) await client.chat.completions.create({ model: 'cheap', messages: [{ role: 'user', content }] });
    const rows = (await gateway.ledger()).filter((row) => row.keyId === key.id);
    assert.equal(rows.length, 3);
    const rowsSum = Math.round(rows.reduce((sum, row) => sum + row.costUsd, 0) * 1e12) / 1e12;
    // Not a multiple of 1e-8: the rounding the totals did showed.
    assert.notEqual(Math.round(rowsSum * 1e8) / 1e8, rowsSum);

    const summary = (await admin(`/admin/usage/summary?group_by=key&key_id=${key.id}`)) as { data: Array<{ cost_usd: number }>; total: { cost_usd: number } };
    assert.equal(summary.data[0]!.cost_usd, rowsSum);
    assert.equal(summary.total.cost_usd, rowsSum);
    const keys = (await admin('/admin/keys')) as { data: Array<{ id: string; spent_usd: number }> };
    assert.equal(keys.data.find((entry) => entry.id === key.id)!.spent_usd, rowsSum);
    const spend = (await admin('/admin/spend')) as { data: Array<{ id: string; spent_usd: number; remaining_usd: number }> };
    const entry = spend.data.find((item) => item.id === key.id)!;
    assert.equal(entry.spent_usd, rowsSum);
    assert.equal(entry.remaining_usd, Math.round((5 - rowsSum) * 1e12) / 1e12);
  });
});
