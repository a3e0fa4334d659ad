import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { BedrockSimulator } from '../simulators/bedrock/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { openaiClient } from '../helpers/openai-client.ts';

const masterKey = 'sb-bedrock-embed-billing';

/**
 * Bedrock embeds through several InvokeModel calls (Titan: one text per call; Cohere Embed: 96 texts
 * per call). Each call that answered is billed, also when another call of the same request fails:
 * the row counts them, as the batched embeddings of the other providers do
 * (src/providers/_shared/embedding-request.ts, docs/routing.md "Usage and cost").
 */
describe('Bedrock embeddings: calls answered before a failure are paid for (official openai SDK)', () => {
  let simulator: BedrockSimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    simulator = await new BedrockSimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'aws', type: 'bedrock', base_url: simulator.url, api_key: simulator.apiKey, region: simulator.region, cooldown: { failures: 1000 } }],
      models: [
        { id: 'titan', provider: 'aws', upstream: 'amazon.titan-embed-text-v2:0', pricing: { input_per_mtok: 1000, output_per_mtok: 0 } },
      ],
      routes: [{ id: 'titan-retried', strategy: 'ordered', candidates: ['titan'], retry: { attempts: 1, backoff_ms: 10 } }],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, simulator));

  const texts = Array.from({ length: 8 }, (_, index) => `text number ${index} to embed`);

  it('Titan: a request whose one call fails records the tokens of the calls Bedrock answered', async () => {
    const whole = await client.embeddings.create({ model: 'titan', input: texts }).withResponse();
    const perText = whole.data.usage.prompt_tokens / texts.length;
    assert.equal(perText, (await gateway.ledgerRow(whole.response))!.inputTokens / texts.length);

    const before = simulator.requests.length;
    simulator.fail({ kind: 'status', status: 500 });
    await assert.rejects(client.embeddings.create({ model: 'titan', input: texts }), { status: 502 });
    const answered = simulator.requests.slice(before).length - 1;
    assert.ok(answered >= 1, 'the calls running beside the failed one answered');
    const [row] = await gateway.ledger();
    assert.equal(row!.status, 'error');
    assert.equal(row!.inputTokens, answered * perText);
    assert.equal(row!.costUsd, (answered * perText * 1000) / 1_000_000);
    assert.deepStrictEqual(
      row!.attempts.map((attempt) => [attempt.outcome, attempt.inputTokens, attempt.costUsd]),
      [['error', answered * perText, (answered * perText * 1000) / 1_000_000]],
    );
  });

  it('Titan: after a retry, the row has both attempts\' billed tokens', async () => {
    const before = simulator.requests.length;
    simulator.fail({ kind: 'status', status: 500 });
    const retried = await client.embeddings.create({ model: 'titan-retried', input: texts }).withResponse();
    const calls = simulator.requests.length - before;
    const row = (await gateway.ledgerRow(retried.response))!;
    const perText = retried.data.usage.prompt_tokens / texts.length;
    assert.equal(row.inputTokens, (calls - 1) * perText);
    assert.deepStrictEqual(row.attempts.map((attempt) => attempt.outcome), ['error', 'ok']);
  });
});
