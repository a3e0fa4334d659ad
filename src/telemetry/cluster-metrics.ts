import { AggregatorRegistry } from 'prom-client';
import type { WorkerMetrics } from '../cluster/protocol.ts';

/**
 * The cluster primary's /metrics: every worker's registry summed by prom-client's cluster
 * aggregation. A module of its own, imported by the primary on the first scrape, so that a
 * primary never scraped does without prom-client; and an ES module, so that the dist/ bundle
 * (scripts/build.js) can load it lazily and keep its named exports.
 */
export function aggregateMetrics(workers: WorkerMetrics[]): Promise<string> {
  return AggregatorRegistry.aggregate(workers).metrics();
}

/**
 * What workers that are gone counted, added to `retired` (undefined before the first): their
 * counters and histograms, so the cluster's totals never go back when a worker is replaced
 * (Prometheus would read a drop as a reset). Gauges and each worker's process metrics (labelled
 * by its slot) describe a process that no longer runs and are left out.
 */
export function retire(retired: WorkerMetrics | undefined, last: WorkerMetrics): Promise<WorkerMetrics> {
  const kept = last.filter((metric) => !metric.name.startsWith('switchboard_process_') && (String(metric.type) === 'counter' || String(metric.type) === 'histogram'));
  return AggregatorRegistry.aggregate(retired ? [retired, kept] : [kept]).getMetricsAsJSON();
}
