import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CatalogEntry } from '../core/model.ts';
import { createCatalog, loadCatalog } from './index.ts';

const entry = (provider: string, model: string, inputPerMtok: number): CatalogEntry => ({
  provider,
  model,
  pricing: { inputPerMtok, outputPerMtok: inputPerMtok * 5 },
  contextWindow: 200_000,
  maxOutputTokens: 64_000,
  capabilities: ['chat', 'tools'],
  quality: 0.8,
  embeddingDimensions: undefined,
  source: 'test',
});

describe('catalog lookup', () => {
  it("finds Anthropic's undated alias (claude-haiku-4-5) through the catalog's dated snapshot of it", async () => {
    const catalog = await loadCatalog();
    const alias = catalog.lookup('anthropic', 'claude-haiku-4-5');
    assert.ok(alias, 'the alias Anthropic documents is priced');
    assert.equal(alias, catalog.lookup('anthropic', 'claude-haiku-4-5-20251001'));
    assert.equal(catalog.lookup('gemini', 'claude-haiku-4-5'), undefined, 'per provider type');
  });

  it('never prices a dated snapshot as its alias, nor an alias with two snapshots, and an own row wins', () => {
    const catalog = createCatalog('test', [
      entry('openai', 'gpt-4o', 2.5),
      entry('openai', 'gpt-4o-2024-05-13', 5),
      entry('anthropic', 'claude-x-1-20250101', 1),
      entry('anthropic', 'claude-x-1-20250601', 2),
      entry('anthropic', 'claude-y-1-20250101', 3),
    ]);
    assert.equal(catalog.lookup('openai', 'gpt-4o')?.pricing.inputPerMtok, 2.5, 'the alias row itself');
    assert.equal(catalog.lookup('openai', 'gpt-4o-2024-08-06'), undefined, 'a snapshot is not its alias');
    assert.equal(catalog.lookup('anthropic', 'claude-x-1'), undefined, 'two snapshots: which one is unknown');
    assert.equal(catalog.lookup('anthropic', 'claude-y-1')?.pricing.inputPerMtok, 3);
    assert.equal(catalog.size, 5);
  });
});
