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
