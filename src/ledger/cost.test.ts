import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCatalog } from '../catalog/index.ts';
import { anthropicProvider } from '../providers/anthropic/index.ts';
import { bedrockProvider } from '../providers/bedrock/index.ts';
import { ModelRegistry } from '../router/model-registry.ts';
import { costOf } from './cost.ts';

describe('costOf: what a call cost', () => {
  const pricing = { inputPerMtok: 1, outputPerMtok: 2, cachedInputPerMtok: 0.1, cacheWritePerMtok: 1.25, cacheWrite1hPerMtok: 2 };

  it('prices cache reads, 5-minute and 1-hour cache writes and the rest of the prompt each at its own price', () => {
    // Anthropic's usage: input 100 + cache read 400 + cache write 500 (200 for 5 minutes, 300 for an hour), output 300.
    const usage = { inputTokens: 1_000, outputTokens: 300, cachedInputTokens: 400, cacheWriteTokens: 500, cacheWrite1hTokens: 300 };
    const expected = (100 * 1 + 400 * 0.1 + 200 * 1.25 + 300 * 2 + 300 * 2) / 1_000_000;
    assert.equal(costOf(usage, pricing), Math.round(expected * 1e12) / 1e12);
  });

  it('prices what has no published price at the input price, and costs nothing without pricing', () => {
    const usage = { inputTokens: 1_000, outputTokens: 0, cachedInputTokens: 400, cacheWriteTokens: 500, cacheWrite1hTokens: 300 };
    assert.equal(costOf(usage, { inputPerMtok: 1, outputPerMtok: 2 }), 0.001);
    // An hour's writes without their own price take the write price.
    assert.equal(costOf({ inputTokens: 100, outputTokens: 0, cacheWriteTokens: 100, cacheWrite1hTokens: 100 }, { inputPerMtok: 1, outputPerMtok: 2, cacheWritePerMtok: 1.25 }), 0.000125);
    assert.equal(costOf(usage, undefined), 0);
  });

  it("prices what the provider bills when it says so apart (Cohere's billed_units leave out its preamble)", () => {
    const usage = { inputTokens: 507, outputTokens: 10, cachedInputTokens: 448, billed: { inputTokens: 12, outputTokens: 9 } };
    assert.equal(costOf(usage, { inputPerMtok: 1, outputPerMtok: 2 }), (12 * 1 + 9 * 2) / 1_000_000);
  });

  it('takes the cost the provider reported for the call over any price, and over no price', () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000, costUsd: 0.1 + 0.2 };
    assert.equal(costOf(usage, { inputPerMtok: 3, outputPerMtok: 15 }), 0.3);
    assert.equal(costOf(usage, undefined), 0.3);
  });

  it('never counts a token twice when a provider reports more cached or written than the prompt', () => {
    assert.equal(costOf({ inputTokens: 100, outputTokens: 0, cachedInputTokens: 80, cacheWriteTokens: 80 }, pricing), (80 * 0.1 + 20 * 1.25) / 1_000_000);
  });
});

describe('model pricing: cache prices', () => {
  const catalog = createCatalog('2026-01-01', [
    { provider: 'openai', model: 'gpt-4o-mini', pricing: { inputPerMtok: 0.15, outputPerMtok: 0.6, cachedInputPerMtok: 0.075 }, capabilities: ['chat'], source: 'test' },
    { provider: 'anthropic', model: 'claude-x', pricing: { inputPerMtok: 3, outputPerMtok: 15, cachedInputPerMtok: 0.3 }, capabilities: ['chat'], source: 'test' },
  ]);
  const registry = new ModelRegistry(
    [
      { id: 'mini', provider: 'oai', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6 }, tags: [] },
      { id: 'claude', provider: 'ant', upstream: 'claude-x', tags: [] },
      { id: 'claude-priced', provider: 'ant', upstream: 'claude-unlisted', pricing: { input_per_mtok: 4, output_per_mtok: 20 }, tags: [] },
      { id: 'claude-own', provider: 'ant', upstream: 'claude-own', pricing: { input_per_mtok: 4, output_per_mtok: 20, cached_input_per_mtok: 1, cache_write_per_mtok: 4, cache_write_1h_per_mtok: 5 }, tags: [] },
      { id: 'bedrock-claude', provider: 'aws', upstream: 'us.anthropic.claude-unlisted-v1:0', pricing: { input_per_mtok: 3, output_per_mtok: 15 }, tags: [] },
      { id: 'llama', provider: 'aws', upstream: 'meta.llama-unlisted', pricing: { input_per_mtok: 1, output_per_mtok: 1 }, tags: [] },
    ],
    [
      { id: 'oai', catalogType: 'openai' },
      // The provider definitions' own multipliers, as app.ts passes them.
      { id: 'ant', catalogType: 'anthropic', cachePriceMultipliers: anthropicProvider.cachePriceMultipliers },
      { id: 'aws', catalogType: 'bedrock', cachePriceMultipliers: bedrockProvider.cachePriceMultipliers },
    ],
    catalog,
  );

  it("keeps the catalog's cached price when the config prices only input and output (docs/configuration.md: facts not given fall back to the catalog)", () => {
    assert.deepStrictEqual(registry.get('mini')!.pricing, { inputPerMtok: 0.15, outputPerMtok: 0.6, cachedInputPerMtok: 0.075 });
    assert.equal(costOf({ inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 1_000_000 }, registry.get('mini')!.pricing), 0.075);
  });

  it("gives Claude, on Anthropic or Bedrock, Anthropic's multipliers of the input price for what no one priced: reads 0.1x, writes 1.25x, an hour's 2x", () => {
    assert.deepStrictEqual(registry.get('claude')!.pricing, { inputPerMtok: 3, outputPerMtok: 15, cachedInputPerMtok: 0.3, cacheWritePerMtok: 3.75, cacheWrite1hPerMtok: 6 });
    assert.deepStrictEqual(registry.get('claude-priced')!.pricing, { inputPerMtok: 4, outputPerMtok: 20, cachedInputPerMtok: 0.4, cacheWritePerMtok: 5, cacheWrite1hPerMtok: 8 });
    assert.deepStrictEqual(registry.get('bedrock-claude')!.pricing, { inputPerMtok: 3, outputPerMtok: 15, cachedInputPerMtok: 0.3, cacheWritePerMtok: 3.75, cacheWrite1hPerMtok: 6 });
    assert.deepStrictEqual(registry.get('llama')!.pricing, { inputPerMtok: 1, outputPerMtok: 1 });
  });

  it('takes every cache price the config gives', () => {
    assert.deepStrictEqual(registry.get('claude-own')!.pricing, { inputPerMtok: 4, outputPerMtok: 20, cachedInputPerMtok: 1, cacheWritePerMtok: 4, cacheWrite1hPerMtok: 5 });
  });
});
