import diagnosticsChannel from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { summedCounter } from './summed-counter.ts';
import { summedHistogram } from './summed-histogram.ts';
import { requestFinishedChannel, type RequestFinishedMessage } from '../core/events.ts';
import type { LedgerRow } from '../core/ledger.ts';
import { roundUsd } from '../ledger/cost.ts';
import type { WriterStats } from '../ledger/writer.ts';

/** Prometheus metrics fed by the request-finished channel (served at GET /metrics). */
export interface Metrics {
  registry: Registry;
  /** Counts `response` in flight until it closes, finished or cut (switchboard_in_flight_requests). */
  requestStarted(response: ServerResponse): void;
  /** Counts rows finished outside a request: those a journal wrote for requests a killed process had in flight. */
  countRows(rows: readonly LedgerRow[]): void;
  /** Detaches the channel subscriber. */
  close(): void;
}

/** State read when /metrics is scraped. */
export interface MetricSources {
  ledger(): WriterStats;
  /** Whether Redis answers, when `storage.redis` is set. */
  redis?(): boolean;
}

/**
 * `processLabels`: labels on the process metrics (memory, CPU, event loop); a cluster worker
 * sets `worker`, so the primary's aggregation keeps each worker's apart (src/cluster/primary.ts).
 */
export function createMetrics(instance: string, sources: MetricSources, processLabels: Record<string, string> = {}): Metrics {
  const registry = new Registry();
  // The event-loop delay is sampled every 100 ms, not prom-client's default 10: its timer woke
  // every process 100 times a second, idle or not, for about 1% of a core per process at rest
  // (0.2-0.4% now; 5 s idle, pinned: docs/performance.md). Ten samples a second still give the
  // lag percentiles of a 15 s scrape from 150 samples.
  collectDefaultMetrics({ register: registry, prefix: 'switchboard_process_', labels: processLabels, eventLoopMonitoringPrecision: 100 });
  registerLedgerMetrics(registry, sources.ledger);
  const redis = sources.redis;
  if (redis) {
    new Gauge({
      name: 'switchboard_redis_connected',
      help: '1 while Redis (storage.redis) answers; 0 while replicas count limits and budgets alone',
      registers: [registry],
      // Across the workers of one process: 0 as soon as one of them has lost Redis.
      aggregator: 'min',
      collect() {
        this.set(redis() ? 1 : 0);
      },
    });
  }
  const requests = summedCounter(registry, {
    name: 'switchboard_requests_total',
    help: 'Requests handled, by endpoint, answering model and provider, route and outcome',
    labelNames: ['endpoint', 'model', 'provider', 'route', 'status', 'http_status'],
  });
  const errors = summedCounter(registry, {
    name: 'switchboard_errors_total',
    help: 'Failed requests by error code, model and provider',
    labelNames: ['endpoint', 'model', 'provider', 'code'],
  });
  const attempts = summedCounter(registry, {
    name: 'switchboard_upstream_attempts_total',
    help: 'Calls to providers by model, provider and outcome',
    labelNames: ['model', 'provider', 'outcome', 'code'],
  });
  const latency = summedHistogram(registry, {
    name: 'switchboard_request_duration_seconds',
    help: 'Time from request arrival to the last byte of the answer',
    labelNames: ['endpoint', 'model', 'provider', 'stream'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  });
  const timeToFirstToken = summedHistogram(registry, {
    name: 'switchboard_time_to_first_token_seconds',
    help: 'Time from request arrival to the first streamed token',
    labelNames: ['model', 'provider'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
  });
  const tokens = summedCounter(registry, {
    name: 'switchboard_tokens_total',
    help: 'Tokens by model, provider and direction (input, output)',
    labelNames: ['model', 'provider', 'direction'],
  });
  const cost = summedCounter(registry, {
    name: 'switchboard_cost_usd_total',
    help: 'Spend in USD by model and provider',
    labelNames: ['model', 'provider'],
  });
  // Counted in a number and read at scrape time, like the counters above.
  let requestsInFlight = 0;
  new Gauge({
    name: 'switchboard_in_flight_requests',
    help: 'Requests being handled now',
    registers: [registry],
    collect() {
      this.set(requestsInFlight);
    },
  });
  const onResponseClosed = () => {
    requestsInFlight -= 1;
  };

  const onFinished = (message: unknown) => {
    const { row, instance: from } = message as RequestFinishedMessage;
    if (from === instance) count(row);
  };
  const modelLabel = boundedLabels(maxModelLabels);
  const count = (row: LedgerRow) => {
    // Unresolved names are not labels: a client sending random model names must not grow the series.
    const model = modelLabel(row.model ?? 'none');
    const provider = row.provider ?? 'none';
    requests.add([row.endpoint, model, provider, row.route ?? 'none', row.status, String(row.httpStatus)], 1);
    latency.observe([row.endpoint, model, provider, row.stream ? 'true' : 'false'], row.latencyMs / 1000);
    if (row.ttftMs !== null) timeToFirstToken.observe([model, provider], row.ttftMs / 1000);
    if (row.errorCode) errors.add([row.endpoint, model, provider, row.errorCode], 1);
    // A failed attempt that reported what it used (docs/routing.md "Usage and cost") counts on its
    // own model; the rest of the row's tokens and cost are the answering model's.
    let inputTokens = row.inputTokens;
    let outputTokens = row.outputTokens;
    let costUsd = row.costUsd;
    for (const attempt of row.attempts) {
      const attemptModel = modelLabel(attempt.model);
      attempts.add([attemptModel, attempt.provider, attempt.outcome, attempt.errorCode ?? ''], 1);
      if (attempt.inputTokens === undefined) continue;
      const paid = [attemptModel, attempt.provider];
      if (attempt.inputTokens) tokens.add([...paid, 'input'], attempt.inputTokens);
      if (attempt.outputTokens) tokens.add([...paid, 'output'], attempt.outputTokens);
      if (attempt.costUsd) cost.add(paid, attempt.costUsd);
      inputTokens -= attempt.inputTokens;
      outputTokens -= attempt.outputTokens ?? 0;
      costUsd -= attempt.costUsd ?? 0;
    }
    if (inputTokens > 0) tokens.add([model, provider, 'input'], inputTokens);
    if (outputTokens > 0) tokens.add([model, provider, 'output'], outputTokens);
    // Rounded as costOf rounds (src/ledger/cost.ts): a difference of sums leaves float noise.
    costUsd = roundUsd(costUsd);
    if (costUsd > 0) cost.add([model, provider], costUsd);
  };
  diagnosticsChannel.subscribe(requestFinishedChannel.name, onFinished);
  return {
    registry,
    requestStarted(response) {
      requestsInFlight += 1;
      // A response closes once (finished or cut): `on` spares the wrapper `once` makes per call.
      response.on('close', onResponseClosed);
    },
    countRows: (rows) => {
      for (const row of rows) count(row);
    },
    close: () => diagnosticsChannel.unsubscribe(requestFinishedChannel.name, onFinished),
  };
}

/** The ledger writer's queue and failures (issue 13, defect 10: a failing store is never silent). */
function registerLedgerMetrics(registry: Registry, stats: () => WriterStats): void {
  const gauge = (name: string, help: string, read: (current: WriterStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(stats()));
      },
    });
  gauge('switchboard_ledger_queued_rows', 'Ledger rows waiting to be written to the store', (current) => current.queued);
  gauge('switchboard_ledger_journal_only_rows', 'Ledger rows kept only in the crash journal, written at the next start', (current) => current.journalOnly);
  gauge('switchboard_ledger_write_failures', 'Ledger batches the store failed to write since start', (current) => current.writeFailures);
  gauge('switchboard_ledger_journal_failures', 'Rows the crash journal failed to write since start', (current) => current.journalFailures);
  gauge('switchboard_ledger_dropped_rows', 'Ledger rows that could be kept nowhere since start (also logged)', (current) => current.dropped);
  gauge('switchboard_ledger_failing', '1 while the ledger store fails to write (readiness is then 503)', (current) => (current.failing ? 1 : 0));
}

/**
 * How many model names become labels. Any configured provider's model can be called as
 * `<provider>/<upstream>` without a models entry (../shared/SPEC.md), so the names a caller sends
 * are not a closed set: past this many, each new one is counted as `other`, or a client sending
 * made-up names (the demo provider answers them all) would grow the series, and the memory that
 * holds them, without end.
 */
const maxModelLabels = 1_000;

/** A label for a name: itself while fewer than `limit` names have been seen, else `other`. */
function boundedLabels(limit: number): (name: string) => string {
  const seen = new Set<string>();
  return (name) => {
    if (seen.has(name)) return name;
    if (seen.size >= limit) return 'other';
    seen.add(name);
    return name;
  };
}
