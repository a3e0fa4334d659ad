/**
 * `npm run bench`: what Switchboard costs next to the least a Node proxy can do. Four processes,
 * as an outside harness would run them: the OpenAI simulator as the upstream, a raw Node
 * pass-through proxy (bench/raw-proxy.mjs), the gateway (`switchboard serve --workers 1` from
 * dist/, SQLite ledger, logs at the default level) and a load generator (wrk when installed,
 * else bench/load-client.ts; streamed series always the latter, which times the first byte).
 * Proxy and gateway run on core 1, the upstream and the generator on core 0 (`taskset`).
 *
 * Series: non-streamed and streamed chat at each concurrency, against the upstream directly,
 * through the proxy and through the gateway, one after the other: req/s, p50/p99 latency, time
 * to first byte, CPU µs per request and peak RSS of the proxy or gateway; then the gateway's
 * ratios to the proxy; start time and memory per process (1 and 2 workers); micro-benchmarks.
 * Writes bench/results/latest.json and latest.svg. Results and how to read them:
 * docs/performance.md.
 *
 * Environment: BENCH_DURATION (seconds per series, 3), BENCH_WARMUP (seconds, 1, per series),
 * BENCH_PROCESS_WARMUP (seconds of load each server gets before its first series, 4), BENCH_REQUESTS
 * (at most this many requests per series; uses the Node client), BENCH_CONCURRENCY ("1,16,64"),
 * BENCH_GENERATOR=node (no wrk), BENCH_GATEWAY_BIN (another checkout's bin/switchboard.js, to
 * measure it instead), BENCH_GATEWAY_NODE_FLAGS (node flags for the gateway, after those of `npm start`), BENCH_CHUNK_DELAY_MS
 * (ms between the chunks of a streamed answer: an event per chunk), BENCH_STARTUP=0 and
 * BENCH_MICRO=0 (skip those parts), BENCH_NGINX=0 (no nginx series where nginx is installed),
 * BENCH_PORTKEY (where Portkey's gateway is installed: its series beside ours; bench/portkey.ts),
 * BENCH_RELAY=1 (series of the parsing relay too, the least a gateway that reads what it relays
 * can do: bench/parsing-relay.mjs),
 * BENCH_PROMPT_KB and BENCH_PROMPT_SCRIPT (a long system message in the chat body: bench/processes.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMicroBenchmarks } from './micro.ts';
import { runNodeLoad, runWrkLoad, wrkInstalled, type LoadOptions } from './load.ts';
import { nginxInstalled, startNginx } from './nginx.ts';
import { portkeyEntry, portkeyVersion, startPortkey } from './portkey.ts';
import { measureLoad } from './process-stats.ts';
import { benchCores, benchTargets, builtGatewayBin, chatBody, gatewayNodeFlags, promptSettings, repository, startGateway, startParsingRelay, startRawProxy, startSimulator, streamBody, writeGatewayConfig } from './processes.ts';
import { compare, printResults, writeResults, type Mode, type SeriesResult, type Target } from './report.ts';
import { measureStartup, workerCounts, type StartupResult } from './startup.ts';

const seconds = (name: string, fallback: number) => Number(process.env[name] ?? fallback) * 1000;
const durationMs = seconds('BENCH_DURATION', 3);
const warmupMs = seconds('BENCH_WARMUP', 1);
const processWarmupMs = seconds('BENCH_PROCESS_WARMUP', 4);
const requests = process.env.BENCH_REQUESTS === undefined ? undefined : Number(process.env.BENCH_REQUESTS);
const concurrencies = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number);
const useWrk = process.env.BENCH_GENERATOR !== 'node' && requests === undefined && wrkInstalled();
const { pinned: canPin, generatorCore, serverCore } = benchCores();
const body = chatBody;
// The gateway runs the compiled build (brought up to date), or BENCH_GATEWAY_BIN's.
const gatewayBin = builtGatewayBin();

// Where Portkey's gateway is (BENCH_PORTKEY), read before anything starts: a wrong path stops here.
const portkeyScript = portkeyEntry();

const directory = await mkdtemp(join(tmpdir(), 'switchboard-bench-'));
// BENCH_CHUNK_DELAY_MS: a pause between the chunks of streamed answers, so each event comes in a
// chunk of its own, as real providers send them (docs/performance.md); 0, the default: all at once.
const simulator = await startSimulator(generatorCore, Number(process.env.BENCH_CHUNK_DELAY_MS ?? 0));
const proxy = await startRawProxy(new URL(simulator.origin).origin, serverCore);
const config = await writeGatewayConfig(directory, simulator.origin);
const gateway = await startGateway(gatewayBin, config, 1, serverCore);
// nginx, the C reverse proxy of issue 15's outside check, beside the raw Node proxy when it is installed.
// A baseline the run can do without: one that does not start is reported and left out.
const nginx =
  process.env.BENCH_NGINX !== '0' && nginxInstalled()
    ? await startNginx(new URL(simulator.origin).origin, serverCore).catch((error: unknown) => {
        process.stderr.write(`bench: nginx did not start, so it is left out: ${error instanceof Error ? error.message : String(error)}\n`);
        return undefined;
      })
    : undefined;
// Portkey's gateway, the other gateway of the outside check, when BENCH_PORTKEY says where it is.
const portkey =
  portkeyScript === undefined
    ? undefined
    : await startPortkey(portkeyScript, serverCore).catch((error: unknown) => {
        process.stderr.write(`bench: Portkey's gateway did not start, so it is left out: ${error instanceof Error ? error.message : String(error)}\n`);
        return undefined;
      });
const relay = process.env.BENCH_RELAY === '1' ? await startParsingRelay(new URL(simulator.origin).origin, serverCore) : undefined;
const targets = benchTargets(simulator, proxy, gateway, nginx, portkey, relay);
const targetOrder = (['direct', 'proxy', 'nginx', 'portkey', 'relay', 'gateway'] as const).filter((target) => targets[target] !== undefined);

async function runSeries(mode: Mode, concurrency: number, target: Target): Promise<SeriesResult> {
  const { url, key, process: underTest, headers } = targets[target]!;
  const options: LoadOptions = { url, key, headers, body: mode === 'stream' ? streamBody : body, concurrency, warmupMs, durationMs, ...(requests !== undefined ? { requests } : {}) };
  const result = await measureLoad(underTest?.pid, (onMeasuring) => (mode === 'chat' && useWrk ? runWrkLoad(options, generatorCore, onMeasuring) : runNodeLoad(options, generatorCore, onMeasuring)));
  const row: SeriesResult = { mode, concurrency, target, ...result };
  process.stderr.write(`  ${mode} c${concurrency} ${target}: ${result.rps.toFixed(0)} req/s, p50 ${Number(result.p50).toFixed(3)} ms${result.errors ? `, ${result.errors} errors` : ''}\n`);
  return row;
}

/**
 * Each server is sent non-streamed and streamed requests at c=16 for BENCH_PROCESS_WARMUP seconds
 * (half each) before its first series: a fresh process runs slower for its first seconds while V8
 * compiles its hot path (docs/performance.md, "Cold start"), and the series of 1 s warm-up at
 * c=1 measured that instead of the steady state a long-running server is in (the gateway's c=1
 * CPU was 610 µs a request, 360-390 µs once warm). The same for the proxy and the upstream.
 */
async function warmUp(target: Target): Promise<void> {
  if (processWarmupMs <= 0) return;
  const { url, key, headers } = targets[target]!;
  for (const mode of ['chat', 'stream'] as const) {
    const options: LoadOptions = { url, key, headers, body: mode === 'stream' ? streamBody : body, concurrency: 16, warmupMs: 0, durationMs: processWarmupMs / 2 };
    await (mode === 'chat' && useWrk ? runWrkLoad(options, generatorCore, () => undefined) : runNodeLoad(options, generatorCore, () => undefined));
  }
}

/**
 * Whether a baseline answers the streamed body: Portkey's gateway 1.15 on Node answers every
 * streamed request with a 500 ("TypeError: immutable" when it appends a header to the upstream's
 * fetch Response: Portkey-AI/gateway#1389), and a series of errors would only be noise.
 */
async function answersStreams(target: Target): Promise<boolean> {
  const { url, key, headers } = targets[target]!;
  const response = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: streamBody });
  const text = await response.text();
  if (response.ok && text.includes('data: [DONE]')) return true;
  process.stderr.write(`bench: ${target} answered a streamed request with ${response.status} (${text.slice(0, 200)}): its streamed series are left out\n`);
  return false;
}

const series: SeriesResult[] = [];
process.stderr.write(`bench: ${useWrk ? 'wrk' : 'Node client'} for non-streamed series, ${nginx ? 'nginx beside the raw proxy' : 'no nginx'}${portkey ? ", Portkey's gateway" : ''}${relay ? ', the parsing relay' : ''}, ${canPin ? 'proxies and gateway on core 1, upstream and generator on core 0' : 'no pinning'}\n`);
try {
  for (const target of targetOrder) await warmUp(target);
  const streamTargets = portkey && !(await answersStreams('portkey')) ? targetOrder.filter((target) => target !== 'portkey') : targetOrder;
  for (const mode of ['chat', 'stream'] as const) {
    for (const concurrency of concurrencies) {
      for (const target of mode === 'stream' ? streamTargets : targetOrder) series.push(await runSeries(mode, concurrency, target));
    }
  }
} finally {
  await Promise.all([gateway.stop(), proxy.stop(), nginx?.stop(), portkey?.stop(), relay?.stop()]);
}

const startup: StartupResult[] = [];
if (process.env.BENCH_STARTUP !== '0') {
  process.stderr.write('bench: start time and memory per process\n');
  for (const workers of workerCounts()) {
    startup.push(await measureStartup(workers, { bin: gatewayBin, config, body, runs: 3, loadMs: durationMs, generatorCore }));
  }
}
await simulator.stop();
await rm(directory, { recursive: true, force: true });

const results = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: availableParallelism(),
  settings: { durationSeconds: durationMs / 1000, warmupSeconds: warmupMs / 1000, processWarmupSeconds: processWarmupMs / 1000, requestsCap: requests ?? null, generator: useWrk ? 'wrk (non-streamed), node (streamed)' : 'node', pinned: canPin, gatewayBin: process.env.BENCH_GATEWAY_BIN ?? 'bin/switchboard.js (dist/)', gatewayNodeFlags: gatewayNodeFlags().join(' '), prompt: promptSettings, nginx: nginx ? (spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim() || 'nginx') : null, portkey: portkeyScript ? portkeyVersion(portkeyScript) : null, relay: relay !== undefined },
  series,
  comparisons: compare(series),
  startup,
};
printResults(results);
await writeResults(results, join(repository, 'bench', 'results'));
console.log('\nWrote bench/results/latest.json and bench/results/latest.svg');
if (process.env.BENCH_MICRO !== '0') await runMicroBenchmarks();
