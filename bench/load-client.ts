/**
 * The benchmark's load generator when wrk is not installed, and for every streamed series (wrk
 * cannot time the first byte). Runs in a process of its own: a closed loop of `concurrency`
 * callers, each sending its next request when the previous answer has been read to the end,
 * over an undici Pool of as many connections. Warms up, then measures for `durationMs` or
 * `requests` requests, whichever ends first. Prints one JSON line (a `GeneratorResult`).
 * Usage: node --import tsx bench/load-client.ts '<JSON of LoadOptions>'
 */
import { Pool } from 'undici';
import { percentile, type GeneratorResult, type LoadOptions } from './load.ts';
import { timedRequest, type TimedSample as Sample } from './timed-request.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const target = new URL(options.url);
const pool = new Pool(target.origin, { connections: options.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
const headers = { ...options.headers, 'content-type': 'application/json', authorization: `Bearer ${options.key}` };

/** One request, read to its end; the time to the first body byte and to the end. */
const send = (): Promise<Sample> => timedRequest(pool, target.pathname, headers, options.body, performance.now());

/** Runs the closed loop until `until()` says stop; returns the samples and errors. */
async function loop(until: (sent: number) => boolean): Promise<{ samples: Sample[]; errors: number; seconds: number }> {
  const samples: Sample[] = [];
  let errors = 0;
  let sent = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (!until(sent)) {
        sent += 1;
        try {
          samples.push(await send());
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return { samples, errors, seconds: (performance.now() - started) / 1000 };
}

const warmupEnds = performance.now() + options.warmupMs;
await loop(() => performance.now() >= warmupEnds);
// Tells the parent the measured part starts now (it reads the gateway's CPU time here).
process.stderr.write('measuring\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const measuredEnds = performance.now() + options.durationMs;
const limit = options.requests ?? Number.POSITIVE_INFINITY;
const { samples, errors, seconds } = await loop((sent) => sent >= limit || performance.now() >= measuredEnds);
await pool.close();

const totals = samples.map((sample) => sample.total);
const firstBytes = samples.map((sample) => sample.firstByte);
const result: GeneratorResult = {
  generator: 'node',
  requests: samples.length,
  errors,
  seconds,
  rps: samples.length / seconds,
  p50: percentile(totals, 0.5),
  p99: percentile(totals, 0.99),
  ttfbP50: percentile(firstBytes, 0.5),
  ttfbP99: percentile(firstBytes, 0.99),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
