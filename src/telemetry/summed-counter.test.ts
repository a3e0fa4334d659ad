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

  it('keeps label values apart that a plain join would run together', async () => {
    const registry = new Registry();
    const counter = summedCounter(registry, { name: 'pairs_total', help: 'Pairs', labelNames: ['left', 'right'] });
    counter.add(['a,b', 'c'], 1);
    counter.add(['a', 'b,c'], 1);
    const text = await registry.metrics();
    assert.match(text, /^pairs_total\{left="a,b",right="c"\} 1$/m);
    assert.match(text, /^pairs_total\{left="a",right="b,c"\} 1$/m);
  });
});
