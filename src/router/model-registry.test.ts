import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCatalog } from '../catalog/index.ts';
import type { CatalogEntry } from '../core/model.ts';
import { ModelRegistry } from './model-registry.ts';

const entry = (model: string): CatalogEntry => ({ provider: 'openai', model, pricing: { inputPerMtok: 1, outputPerMtok: 2 }, capabilities: [], source: 'test' });
const catalog = createCatalog('test', [entry('gpt-4o-mini'), entry('gpt-4o')]);
const catalogModels = ['gpt-4o-mini', 'gpt-4o'];

describe('runtime providers in the model registry', () => {
  it('hands the catalog names of a removed provider to the next one that offers them, as a restart would', () => {
    const registry = new ModelRegistry([{ id: 'gpt-4o', provider: 'config-oai', tags: [] }], [{ id: 'config-oai', catalogType: 'openai' }], catalog);
    assert.deepEqual(registry.addProvider({ id: 'oai-old', catalogType: 'openai' }, catalogModels), ['gpt-4o-mini'], 'a configured model keeps its name');
    assert.deepEqual(registry.addProvider({ id: 'oai-new', catalogType: 'openai' }, catalogModels), [], 'the first runtime provider holds the name');
    registry.removeProvider('oai-old');
    assert.equal(registry.resolve('gpt-4o-mini')?.providerId, 'oai-new', 'the name moves on instead of becoming a 404 until a restart');
    assert.equal(registry.resolve('gpt-4o')?.providerId, 'config-oai');
    registry.removeProvider('oai-new');
    assert.equal(registry.resolve('gpt-4o-mini'), undefined);
  });

  it('keeps a replaced provider first in line, as its stored creation time keeps it at the next start', () => {
    const registry = new ModelRegistry([], [], catalog);
    registry.addProvider({ id: 'first', catalogType: 'openai' }, catalogModels);
    registry.addProvider({ id: 'second', catalogType: 'openai' }, catalogModels);
    // Replaced (POST with the same id): it holds its names again.
    assert.deepEqual(registry.addProvider({ id: 'first', catalogType: 'openai' }, catalogModels), catalogModels);
    assert.equal(registry.resolve('gpt-4o')?.providerId, 'first');
    // Replaced by one of a type without those models: they go to the next provider that has them.
    assert.deepEqual(registry.addProvider({ id: 'first', catalogType: 'anthropic' }, []), []);
    assert.equal(registry.resolve('gpt-4o')?.providerId, 'second');
    assert.equal(registry.resolve('first/gpt-4o')?.providerId, 'first', 'its own addresses still resolve');
  });
});
