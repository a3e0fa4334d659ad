import diagnosticsChannel from 'node:diagnostics_channel';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { requestFinishedChannel, type RequestFinishedMessage } from '../core/events.ts';
import type { WriterStats } from '../ledger/writer.ts';

/** Prometheus metrics fed by the request-finished channel (served at GET /metrics). */
export interface Metrics {
  registry: Registry;
  inFlight: Gauge;
  /** Detaches the channel subscriber. */
  close(): void;
}

/** State read when /metrics is scraped. */
export interface MetricSources {
  ledger(): WriterStats;
}

/**
 * `processLabels`: labels on the process metrics (memory, CPU, event loop); a cluster worker
 * sets `worker`, so the primary's aggregation keeps each worker's apart (src/cluster/primary.ts).
 */
export function createMetrics(instance: string, sources: MetricSources, processLabels: Record<string, string> = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'switchboard_process_', labels: processLabels });
  registerLedgerMetrics(registry, sources.ledger);
  const requests = new Counter({
    name: 'switchboard_requests_total',
    help: 'Requests handled, by endpoint, answering model and provider, route and outcome',
    labelNames: ['endpoint', 'model', 'provider', 'route', 'status', 'http_status'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'switchboard_errors_total',
    help: 'Failed requests by error code, model and provider',
    labelNames: ['endpoint', 'model', 'provider', 'code'],
    registers: [registry],
  });
  const attempts = new Counter({
    name: 'switchboard_upstream_attempts_total',
    help: 'Calls to providers by model, provider and outcome',
    labelNames: ['model', 'provider', 'outcome', 'code'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'switchboard_request_duration_seconds',
    help: 'Time from request arrival to the last byte of the answer',
    labelNames: ['endpoint', 'model', 'provider', 'stream'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const timeToFirstToken = new Histogram({
    name: 'switchboard_time_to_first_token_seconds',
    help: 'Time from request arrival to the first streamed token',
    labelNames: ['model', 'provider'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'switchboard_tokens_total',
    help: 'Tokens by model, provider and direction (input, output)',
    labelNames: ['model', 'provider', 'direction'],
    registers: [registry],
  });
  const cost = new Counter({
    name: 'switchboard_cost_usd_total',
    help: 'Spend in USD by model and provider',
    labelNames: ['model', 'provider'],
    registers: [registry],
  });
  const inFlight = new Gauge({ name: 'switchboard_in_flight_requests', help: 'Requests being handled now', registers: [registry] });

  const onFinished = (message: unknown) => {
    const { row, instance: from } = message as RequestFinishedMessage;
    if (from !== instance) return;
    // Unresolved names are not labels: a client sending random model names must not grow the series.
    const model = row.model ?? 'none';
    const provider = row.provider ?? 'none';
    requests.inc({ endpoint: row.endpoint, model, provider, route: row.route ?? 'none', status: row.status, http_status: String(row.httpStatus) });
    latency.observe({ endpoint: row.endpoint, model, provider, stream: String(row.stream) }, row.latencyMs / 1000);
    if (row.ttftMs !== null) timeToFirstToken.observe({ model, provider }, row.ttftMs / 1000);
    if (row.errorCode) errors.inc({ endpoint: row.endpoint, model, provider, code: row.errorCode });
    if (row.inputTokens) tokens.inc({ model, provider, direction: 'input' }, row.inputTokens);
    if (row.outputTokens) tokens.inc({ model, provider, direction: 'output' }, row.outputTokens);
    if (row.costUsd) cost.inc({ model, provider }, row.costUsd);
    for (const attempt of row.attempts) {
      attempts.inc({ model: attempt.model, provider: attempt.provider, outcome: attempt.outcome, code: attempt.errorCode ?? '' });
    }
  };
  diagnosticsChannel.subscribe(requestFinishedChannel.name, onFinished);
  return {
    registry,
    inFlight,
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
