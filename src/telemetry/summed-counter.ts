import { Counter, type Registry } from 'prom-client';
import { labelsOf, SeriesTable } from './series-table.ts';

/** A counter summed in a map per request and handed to prom-client when scraped. */
export interface SummedCounter {
  /** Adds `amount` to the series with these label values, in the order of `labelNames`. */
  add(values: readonly string[], amount: number): void;
}

/**
 * A prom-client Counter whose series are summed here and set into it at scrape time (in its
 * `collect`), so /metrics, `getMetricsAsJSON` and the cluster's aggregation read it as any other.
 *
 * Why: `Counter.inc(labels, n)` checks every label name, builds the series' key from the labels
 * object and looks it up in a dictionary-mode object on each call. A request finished six such
 * calls plus the in-flight gauge's two; measured by switching the metrics off, they cost
 * 15-16 µs a request (docs/performance.md). Here a call finds its series by the label values
 * (./series-table.ts) and adds to it; the labels object is built once per series.
 */
export function summedCounter(registry: Registry, options: { name: string; help: string; labelNames: readonly string[] }): SummedCounter {
  const series = new SeriesTable((values) => ({ labels: labelsOf(options.labelNames, values), value: 0 }));
  const counter = new Counter({
    name: options.name,
    help: options.help,
    labelNames: options.labelNames,
    registers: [registry],
    collect() {
      Counter.prototype.reset.call(this);
      for (const { labels, value } of series.values()) this.inc(labels, value);
    },
  });
  // `registry.resetMetrics()` resets every metric: the sums here too, as a summed histogram's
  // (./summed-histogram.ts), or the next scrape would set them back.
  counter.reset = () => {
    series.clear();
    Counter.prototype.reset.call(counter);
  };
  return {
    add(values, amount) {
      // prom-client refuses a negative or non-finite increment when the counter is set at scrape
      // time, which would fail every scrape from then on: such an amount is not counted. (Usage
      // is checked where it is recorded, src/ledger/request-record.ts; this is the last guard.)
      if (!(Number.isFinite(amount) && amount >= 0)) return;
      series.get(values).value += amount;
    },
  };
}
