import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { summedHistogram } from './summed-histogram.ts';

const options = { name: 'duration_seconds', help: 'Time taken', labelNames: ['model', 'stream'], buckets: [0.005, 0.1, 1] };
// On a bound (counted in it), between bounds, above them all; label values that need escaping.
const observations: Array<[[string, string], number]> = [
  [['a', 'false'], 0.005],
  [['a', 'false'], 0.004],
  [['a', 'false'], 0.3],
  [['a', 'true'], 7],
  [['b "q", c\\d', 'false'], 1],
  [['a', 'false'], 0],
];

function both(): { ours: Registry; theirs: Registry } {
  const ours = new Registry();
  const theirs = new Registry();
  const histogram = summedHistogram(ours, options);
  const reference = new Histogram({ ...options, registers: [theirs] });
  for (const [[model, stream], value] of observations) {
    histogram.observe([model, stream], value);
    reference.observe({ model, stream }, value);
  }
  return { ours, theirs };
}

describe('summedHistogram', () => {
  it("shows the same text and JSON as prom-client's Histogram given the same observations", async () => {
    const { ours, theirs } = both();
    const text = await ours.metrics();
    assert.equal(text, await theirs.metrics());
    assert.match(text, /^duration_seconds_bucket\{le="0.005",model="a",stream="false"\} 3$/m);
    assert.match(text, /^duration_seconds_bucket\{le="\+Inf",model="a",stream="true"\} 1$/m);
    assert.match(text, /^duration_seconds_sum\{model="a",stream="false"\} 0.309$/m);
    // prom-client's JSON also carries each sample's exemplar (none here), which nothing reads.
    const samples = async (registry: Registry) =>
      (await registry.getMetricsAsJSON()).map(({ values, ...metric }) => ({ ...metric, values: values.map((sample) => ({ labels: sample.labels, value: sample.value, metricName: (sample as { metricName?: string }).metricName })) }));
    assert.deepEqual(await samples(ours), await samples(theirs));
  });

  it('sums in the cluster aggregation as prom-client histograms do', async () => {
    const first = both();
    const second = both();
    const ours = await AggregatorRegistry.aggregate([await first.ours.getMetricsAsJSON(), await second.ours.getMetricsAsJSON()]).metrics();
    const theirs = await AggregatorRegistry.aggregate([await first.theirs.getMetricsAsJSON(), await second.theirs.getMetricsAsJSON()]).metrics();
    assert.equal(ours, theirs);
    assert.match(ours, /^duration_seconds_count\{model="a",stream="false"\} 8$/m);
  });

  it('counts nothing for a value that is not a finite number, and empties on reset', async () => {
    const registry = new Registry();
    const histogram = summedHistogram(registry, options);
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, '1' as unknown as number]) histogram.observe(['a', 'false'], value);
    assert.doesNotMatch(await registry.metrics(), /duration_seconds_count/);
    histogram.observe(['a', 'false'], 0.5);
    assert.match(await registry.metrics(), /^duration_seconds_count\{model="a",stream="false"\} 1$/m);
    registry.resetMetrics();
    assert.doesNotMatch(await registry.metrics(), /duration_seconds_count/);
  });
});
