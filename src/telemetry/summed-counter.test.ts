import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregatorRegistry, Registry } from 'prom-client';
import { summedCounter } from './summed-counter.ts';

describe('summedCounter', () => {
  it('sums each series apart and shows them at every scrape, in the text and the JSON the cluster aggregates', async () => {
    const registry = new Registry();
    const counter = summedCounter(registry, { name: 'calls_total', help: 'Calls', labelNames: ['model', 'outcome'] });
    counter.add(['a', 'ok'], 1);
    counter.add(['a', 'ok'], 2);
    counter.add(['a', 'error'], 1);
    counter.add(['b', 'ok'], 0.5);
    const text = await registry.metrics();
    assert.match(text, /^calls_total\{model="a",outcome="ok"\} 3$/m);
    assert.match(text, /^calls_total\{model="a",outcome="error"\} 1$/m);
    assert.match(text, /^calls_total\{model="b",outcome="ok"\} 0.5$/m);
    // A second scrape shows the totals, not the totals added again.
    counter.add(['a', 'ok'], 1);
    assert.match(await registry.metrics(), /^calls_total\{model="a",outcome="ok"\} 4$/m);
    // Two workers' counters sum in the primary's aggregation.
    const other = new Registry();
    summedCounter(other, { name: 'calls_total', help: 'Calls', labelNames: ['model', 'outcome'] }).add(['a', 'ok'], 10);
    const aggregated = await AggregatorRegistry.aggregate([await registry.getMetricsAsJSON(), await other.getMetricsAsJSON()]).metrics();
    assert.match(aggregated, /^calls_total\{model="a",outcome="ok"\} 14$/m);
  });

  it('empties its sums when the registry resets its metrics', async () => {
    const registry = new Registry();
    const counter = summedCounter(registry, { name: 'resets_total', help: 'Resets', labelNames: ['model'] });
    counter.add(['a'], 2);
    assert.match(await registry.metrics(), /^resets_total\{model="a"\} 2$/m);
    registry.resetMetrics();
    assert.doesNotMatch(await registry.metrics(), /^resets_total\{/m);
    counter.add(['a'], 1);
    assert.match(await registry.metrics(), /^resets_total\{model="a"\} 1$/m, 'counted afresh after the reset');
  });

  it('keeps label values apart that a plain join would run together', async () => {
    const registry = new Registry();
    const counter = summedCounter(registry, { name: 'pairs_total', help: 'Pairs', labelNames: ['left', 'right'] });
    counter.add(['a,b', 'c'], 1);
    counter.add(['a', 'b,c'], 1);
    const text = await registry.metrics();
    assert.match(text, /^pairs_total\{left="a,b",right="c"\} 1$/m);
    assert.match(text, /^pairs_total\{left="a",right="b,c"\} 1$/m);
  });

  it('does not count a negative, infinite or non-number amount, so a scrape never fails on one', async () => {
    const registry = new Registry();
    const counter = summedCounter(registry, { name: 'tokens_total', help: 'Tokens', labelNames: ['model'] });
    counter.add(['a'], 5);
    for (const amount of [-1, Number.POSITIVE_INFINITY, Number.NaN, '5' as unknown as number]) counter.add(['a'], amount);
    counter.add(['b'], -3);
    const text = await registry.metrics();
    assert.match(text, /^tokens_total\{model="a"\} 5$/m);
    assert.doesNotMatch(text, /model="b"/);
    assert.match(await registry.metrics(), /^tokens_total\{model="a"\} 5$/m);
  });
});
