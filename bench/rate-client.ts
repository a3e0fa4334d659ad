/**
 * The load generator of bench/rate.ts: an open loop, as harnesses that publish gateways' overhead
 * run them (a fixed request rate, whatever the answers' speed), where bench/load-client.ts is a
 * closed loop of callers. Request i is due at `i / rate` seconds; its latency is counted from then,
 * not from when it went out, so a server (or this client) that falls behind shows as latency
 * instead of as fewer requests sent ("coordinated omission"). Connections are opened as needed
 * (an undici Pool without a limit), as many as requests are in flight. Warms up, then measures
 * for `durationMs`; requests still in flight at the end are waited for and counted. Prints one
 * JSON line (a `RateResult`). Usage: node --import tsx bench/rate-client.ts '<JSON of RateOptions>'
 */
import { Pool } from 'undici';
import { percentile } from './load.ts';
import { timedRequest, type TimedSample as Sample } from './timed-request.ts';

export interface RateOptions {
  url: string;
  key: string;
  body: string;
  /** Requests per second. */
  rate: number;
  warmupMs: number;
  durationMs: number;
}

/** What the client measured; times in milliseconds, from each request's due time. */
export interface RateResult {
  requests: number;
  errors: number;
  /** Answers per second over the measured part. */
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  ttfbP50: number;
  ttfbP99: number;
  /** How late the client sent its requests at worst (its own lag; a few ms at most is sound). */
  maxSendLagMs: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as RateOptions;
const target = new URL(options.url);
const pool = new Pool(target.origin, { connections: null, pipelining: 1, keepAliveTimeout: 30_000 });
const headers = { 'content-type': 'application/json', authorization: `Bearer ${options.key}` };

/** One request due at `due` (performance.now() time), read to its end. */
const send = (due: number): Promise<Sample> => timedRequest(pool, target.pathname, headers, options.body, due);

/** Sends at `options.rate` for `milliseconds`, then waits for the answers. */
async function run(milliseconds: number): Promise<{ samples: Sample[]; errors: number; seconds: number; maxSendLagMs: number }> {
  const samples: Sample[] = [];
  const inFlight = new Set<Promise<void>>();
  let errors = 0;
  let sent = 0;
  let maxSendLagMs = 0;
  const started = performance.now();
  for (;;) {
    const now = performance.now();
    if (now - started >= milliseconds) break;
    const due = Math.floor(((now - started) * options.rate) / 1000);
    for (; sent <= due; sent += 1) {
      const dueAt = started + (sent * 1000) / options.rate;
      maxSendLagMs = Math.max(maxSendLagMs, now - dueAt);
      const request = send(dueAt).then(
        (sample) => void samples.push(sample),
        () => void (errors += 1),
      );
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }
    // The next due time, or the next millisecond (timers are not finer).
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, started + (sent * 1000) / options.rate - performance.now())));
  }
  await Promise.all(inFlight);
  return { samples, errors, seconds: (performance.now() - started) / 1000, maxSendLagMs };
}

await run(options.warmupMs);
// Tells the parent the measured part starts now (it reads the server's CPU time here).
process.stderr.write('measuring\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const { samples, errors, seconds, maxSendLagMs } = await run(options.durationMs);
await pool.close();

const totals = samples.map((sample) => sample.total);
const firstBytes = samples.map((sample) => sample.firstByte);
const result: RateResult = {
  requests: samples.length,
  errors,
  rps: samples.length / seconds,
  p50: percentile(totals, 0.5),
  p99: percentile(totals, 0.99),
  p999: percentile(totals, 0.999),
  ttfbP50: percentile(firstBytes, 0.5),
  ttfbP99: percentile(firstBytes, 0.99),
  maxSendLagMs,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
