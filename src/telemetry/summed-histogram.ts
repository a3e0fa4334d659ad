import type { Metric, Registry } from 'prom-client';
import { labelsOf, SeriesTable } from './series-table.ts';

/** A histogram counted in arrays per series here and read by prom-client when scraped. */
export interface SummedHistogram {
  /** Counts `value` in the series with these label values, in the order of `labelNames`. */
  observe(values: readonly string[], value: number): void;
}

interface Series {
  labels: Record<string, string>;
  /** Observations per bucket, not cumulative: index i counts values in (bounds[i-1], bounds[i]]; the last, those above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

/** One sample as prom-client's registry reads it (its Histogram's shape, lib/histogram.js). */
interface Sample {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName: string;
}

/**
 * A Prometheus histogram registered in prom-client's registry as a metric of its own: /metrics,
 * `getMetricsAsJSON` and the cluster's aggregation (`AggregatorRegistry`, summed) read it as they
 * read prom-client's Histogram, and its text is the same, line for line (summed-histogram.test.ts
 * compares the two).
 *
 * Why: prom-client's `Histogram.observe(labels, value)` checks every label name, builds the
 * series' key from the labels object and looks it up in a dictionary-mode object on each call,
 * about 1% of a request's CPU at c=16 (1.3% of a stream's; CPU profile, docs/performance.md,
 * twelfth session), as its Counter did before ./summed-counter.ts. Here a call finds its series
 * by the label values (./series-table.ts) and the bucket in a short array.
 */
export function summedHistogram(
  registry: Registry,
  options: { name: string; help: string; labelNames: readonly string[]; buckets: readonly number[] },
): SummedHistogram {
  const { name, help, labelNames } = options;
  const bounds = [...options.buckets].sort((left, right) => left - right);
  const series = new SeriesTable<Series>((values) => ({ labels: labelsOf(labelNames, values), counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 }));

  const samples = (shared: boolean): Sample[] => {
    const out: Sample[] = [];
    for (const { labels, counts, sum, count } of series.values()) {
      // prom-client writes `le` first and the series' labels after it ("shared" labels) in the
      // text, and merges them into one object for the JSON: the same here.
      const withBound = (le: string | number): Pick<Sample, 'labels' | 'sharedLabels'> =>
        shared ? { labels: { le }, sharedLabels: labels } : { labels: Object.assign({ le } as Record<string, string | number>, labels) };
      const plain = (): Pick<Sample, 'labels' | 'sharedLabels'> => (shared ? { labels: {}, sharedLabels: labels } : { labels: Object.assign({}, labels) });
      let cumulative = 0;
      bounds.forEach((bound, index) => {
        cumulative += counts[index]!;
        out.push(Object.assign(withBound(bound), { value: cumulative, metricName: `${name}_bucket` }));
      });
      out.push(Object.assign(withBound('+Inf'), { value: count, metricName: `${name}_bucket` }));
      out.push(Object.assign(plain(), { value: sum, metricName: `${name}_sum` }));
      out.push(Object.assign(plain(), { value: count, metricName: `${name}_count` }));
    }
    return out;
  };
  const described = (values: Sample[]) => ({ name, help, type: 'histogram', aggregator: 'sum', values });

  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    /** The registry's text (`metrics()`) reads this. */
    getForPromString: async () => described(samples(true)),
    /** `getMetricsAsJSON`, which the cluster's primary aggregates, reads this. */
    get: async () => described(samples(false)),
    reset: () => series.clear(),
  };
  // The registry takes any object with prom-client's metric members (it calls get,
  // getForPromString and reset); its type lists only prom-client's own classes.
  registry.registerMetric(metric as unknown as Metric);

  return {
    observe(values, value) {
      // prom-client throws on a value that is not a finite number; a scrape must never fail, so
      // such a value is not counted (latencies are measured here, so none is expected).
      if (!Number.isFinite(value)) return;
      const entry = series.get(values);
      let index = 0;
      while (index < bounds.length && value > bounds[index]!) index += 1;
      entry.counts[index]! += 1;
      entry.sum += value;
      entry.count += 1;
    },
  };
}
