/**
 * `npm run bench:in-flight`: what a short request costs while many long streams are in flight.
 * A gateway serving LLM streams holds thousands of them open at once (a few hundred requests a
 * second, each streaming for tens of seconds); per-request work that grows with the number in
 * flight (a listener list scanned on every add, a pool searched for a free connection) is
 * invisible to `npm run bench`, whose requests last a millisecond.
 *
 * For each count N in BENCH_IN_FLIGHT ("0,1000,3000"): a fresh gateway (`--workers 1`, pinned to
 * core 1 like `npm run bench`), N streamed requests opened and held (the OpenAI simulator pauses
 * BENCH_CHUNK_DELAY_MS, 2000, between chunks, so they last the whole series), then non-streamed
 * chat at concurrency 16 for BENCH_DURATION seconds (3) after BENCH_WARMUP (1): req/s, p50/p99,
 * and the gateway's CPU per request. The CPU includes relaying the held streams' chunks (N per
 * chunk delay), so part of the growth with N is that work, not the short requests' own.
 * Results: docs/performance.md.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { runNodeLoad, runWrkLoad, wrkInstalled, type GeneratorResult } from './load.ts';
import { measureLoad, type ProcessCost } from './process-stats.ts';
import { benchCores, builtGatewayBin, chatBody, masterKey, startGateway, startSimulator, streamBody, writeGatewayConfig } from './processes.ts';

const counts = (process.env.BENCH_IN_FLIGHT ?? '0,1000,3000').split(',').map(Number);
const chunkDelayMs = Number(process.env.BENCH_CHUNK_DELAY_MS ?? 2000);
const durationMs = Number(process.env.BENCH_DURATION ?? 3) * 1000;
const warmupMs = Number(process.env.BENCH_WARMUP ?? 1) * 1000;
const { generatorCore, serverCore } = benchCores();
const gatewayBin = builtGatewayBin();

/** Opens `count` streamed requests and resolves once every one has its headers; `close` drops them. */
async function holdStreams(origin: string, count: number): Promise<{ close(): Promise<void> }> {
  const pool = new Pool(origin, { connections: count, pipelining: 1 });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${masterKey}` };
  await Promise.all(
    Array.from({ length: count }, async () => {
      const response = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers, body: streamBody });
      if (response.statusCode !== 200) throw new Error(`a held stream was answered ${response.statusCode}: ${await response.body.text()}`);
      // Read as it comes, so the gateway is never held back by this client.
      response.body.on('data', () => undefined).on('error', () => undefined);
    }),
  );
  return { close: () => pool.destroy() };
}

const directory = await mkdtemp(join(tmpdir(), 'switchboard-bench-in-flight-'));
const simulator = await startSimulator(generatorCore, chunkDelayMs);
const useWrk = process.env.BENCH_GENERATOR !== 'node' && wrkInstalled();
// The simulator's answer is about a dozen chunks: the held streams must outlast the series.
if (warmupMs + durationMs > 6 * chunkDelayMs) process.stderr.write(`bench: BENCH_CHUNK_DELAY_MS=${chunkDelayMs} is short for this series: held streams may end before it does\n`);
const rows: Array<{ inFlight: number; result: GeneratorResult & ProcessCost }> = [];
try {
  for (const inFlight of counts) {
    // A database of its own per count: the killed gateway before may leave its WAL behind.
    const config = await writeGatewayConfig(await mkdtemp(join(directory, 'run-')), simulator.origin);
    const gateway = await startGateway(gatewayBin, config, 1, serverCore);
    let held: { close(): Promise<void> } | undefined;
    try {
      process.stderr.write(`bench: ${inFlight} streams in flight\n`);
      held = inFlight > 0 ? await holdStreams(gateway.origin, inFlight) : undefined;
      const options = { url: `${gateway.origin}/v1/chat/completions`, key: masterKey, body: chatBody, concurrency: 16, warmupMs, durationMs };
      const result = await measureLoad(gateway.pid, (onMeasuring) => (useWrk ? runWrkLoad(options, generatorCore, onMeasuring) : runNodeLoad(options, generatorCore, onMeasuring)));
      rows.push({ inFlight, result });
    } finally {
      await held?.close();
      // Killed, not drained: a drain would wait for the held streams.
      const exited = once(gateway.child, 'exit');
      gateway.child.kill('SIGKILL');
      await exited;
    }
  }
} finally {
  await simulator.stop();
  await rm(directory, { recursive: true, force: true });
}

console.log(`\nShort requests (non-streamed chat, concurrency 16) with long streams in flight; Node ${process.version}, ${useWrk ? 'wrk' : 'node client'}`);
console.log('streams in flight   req/s   p50 ms   p99 ms   gateway CPU µs/req   errors');
for (const { inFlight, result } of rows) {
  console.log(
    `${String(inFlight).padStart(17)} ${result.rps.toFixed(0).padStart(7)} ${result.p50.toFixed(2).padStart(8)} ${result.p99.toFixed(2).padStart(8)} ${(result.cpuMicrosPerRequest?.toFixed(0) ?? '-').padStart(20)} ${String(result.errors).padStart(8)}`,
  );
}
