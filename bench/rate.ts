/**
 * `npm run bench:rate`: the gateway's overhead at a fixed request rate in front of an upstream
 * that takes time to answer, the way published gateway benchmarks measure (a mock provider with
 * a fixed latency, an open-loop generator at a set rate; latency added over calling the mock
 * directly). `npm run bench` runs closed loops against an upstream that answers at once, which
 * measures the cost of each request; here requests stay in flight for the upstream's time, so
 * what a gateway keeps per request in flight (its memory, what its garbage collector copies)
 * shows too. Processes as in bench/run.ts: the OpenAI simulator answering after
 * BENCH_ANSWER_DELAY_MS, the raw proxy, the gateway (`--workers 1`, dist/), proxy and gateway
 * pinned to core 1, simulator and generator (bench/rate-client.ts) to core 0.
 *
 * Environment: BENCH_RATES (requests per second, "500,1000,2000"), BENCH_ANSWER_DELAY_MS (50),
 * BENCH_RATE_MODES ("chat,stream"), BENCH_DURATION (seconds per series, 5), BENCH_WARMUP (2),
 * BENCH_GATEWAY_BIN, BENCH_GATEWAY_NODE_FLAGS (as for bench/run.ts). Writes
 * bench/results/rate-latest.json. Results and how to read them: docs/performance.md.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runClient } from './load.ts';
import { measureLoad, type ProcessCost } from './process-stats.ts';
import { benchCores, benchTargets, builtGatewayBin, chatBody, gatewayNodeFlags, repository, startGateway, startRawProxy, startSimulator, streamBody, writeGatewayConfig } from './processes.ts';
import type { RateOptions, RateResult } from './rate-client.ts';
import { fixed, type Mode, type Target } from './report.ts';

const rates = (process.env.BENCH_RATES ?? '500,1000,2000').split(',').map(Number);
const answerDelayMs = Number(process.env.BENCH_ANSWER_DELAY_MS ?? 50);
const modes = (process.env.BENCH_RATE_MODES ?? 'chat,stream').split(',') as Mode[];
const durationMs = Number(process.env.BENCH_DURATION ?? 5) * 1000;
const warmupMs = Number(process.env.BENCH_WARMUP ?? 2) * 1000;
const clientScript = fileURLToPath(new URL('./rate-client.ts', import.meta.url));
const { pinned: canPin, generatorCore, serverCore } = benchCores();
const gatewayBin = builtGatewayBin();

interface RateSeries extends RateResult, ProcessCost {
  mode: Mode;
  rate: number;
  target: Target;
}

const directory = await mkdtemp(join(tmpdir(), 'switchboard-bench-rate-'));
const simulator = await startSimulator(generatorCore, 0, answerDelayMs);
const proxy = await startRawProxy(new URL(simulator.origin).origin, serverCore);
const gateway = await startGateway(gatewayBin, await writeGatewayConfig(directory, simulator.origin), 1, serverCore);
const targets = benchTargets(simulator, proxy, gateway);

async function runSeries(mode: Mode, rate: number, target: Target): Promise<RateSeries> {
  const { url, key, process: underTest } = targets[target]!;
  const options: RateOptions = { url, key, body: mode === 'stream' ? streamBody : chatBody, rate, warmupMs, durationMs };
  const result = await measureLoad(underTest?.pid, (onMeasuring) => runClient<RateResult>(clientScript, options, generatorCore, onMeasuring));
  const row: RateSeries = { mode, rate, target, ...result };
  process.stderr.write(`  ${mode} ${rate}/s ${target}: p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms${result.errors ? `, ${result.errors} errors` : ''}\n`);
  return row;
}

const series: RateSeries[] = [];
process.stderr.write(`bench:rate: upstream answers after ${answerDelayMs} ms; ${canPin ? 'proxy and gateway on core 1, upstream and generator on core 0' : 'no pinning'}\n`);
try {
  for (const mode of modes) {
    for (const rate of rates) {
      for (const target of ['direct', 'proxy', 'gateway'] as const) series.push(await runSeries(mode, rate, target));
    }
  }
} finally {
  await Promise.all([gateway.stop(), proxy.stop(), simulator.stop()]);
  await rm(directory, { recursive: true, force: true });
}

console.log(`\nSwitchboard at a fixed rate, ${new Date().toISOString()}, Node ${process.version}, ${availableParallelism()} cores; upstream answers after ${answerDelayMs} ms`);
console.log(['series'.padEnd(16), 'target'.padEnd(8), 'req/s'.padStart(7), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'p99.9 ms'.padStart(9), 'ttfb50'.padStart(8), 'added p50/p99'.padStart(15), 'cpu µs/req'.padStart(11), 'peak MB'.padStart(8), 'errors'.padStart(7), 'lag ms'.padStart(7)].join(' '));
for (const row of series) {
  const direct = series.find((each) => each.target === 'direct' && each.mode === row.mode && each.rate === row.rate);
  const added = row.target === 'direct' || !direct ? '' : `${(row.p50 - direct.p50).toFixed(2)} / ${(row.p99 - direct.p99).toFixed(2)}`;
  console.log(
    [
      `${row.mode} ${row.rate}/s`.padEnd(16),
      row.target.padEnd(8),
      fixed(row.rps, 0, 7),
      fixed(row.p50, 2, 8),
      fixed(row.p99, 2, 8),
      fixed(row.p999, 2, 9),
      fixed(row.mode === 'stream' ? row.ttfbP50 : undefined, 2, 8),
      added.padStart(15),
      fixed(row.cpuMicrosPerRequest, 0, 11),
      fixed(row.peakRssMb, 1, 8),
      String(row.errors).padStart(7),
      fixed(row.maxSendLagMs, 1, 7),
    ].join(' '),
  );
}
const results = { date: new Date().toISOString(), node: process.version, cpus: availableParallelism(), settings: { answerDelayMs, durationSeconds: durationMs / 1000, warmupSeconds: warmupMs / 1000, pinned: canPin, gatewayBin: process.env.BENCH_GATEWAY_BIN ?? 'bin/switchboard.js (dist/)', gatewayNodeFlags: gatewayNodeFlags().join(' ') }, series };
await writeFile(join(repository, 'bench', 'results', 'rate-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log('\nWrote bench/results/rate-latest.json');
