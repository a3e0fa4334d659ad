/**
 * `npm run bench:allocations`: what a request makes the process allocate, and where, in figures
 * that do not move with the machine's speed. CPU time on this VM drifts by 2x within an hour
 * (docs/performance.md), so a change of a few µs cannot be seen by timing it; the bytes a request
 * allocates (what the young generation's scavenges then cost) and the promises, ticks, immediates
 * and timers it makes (each a job for the event loop) are counts, the same in a slow phase as in a
 * fast one, and they show a saving before a timed run can.
 *
 * One gateway (`--workers 1`, pinned like `npm run bench`) with bench/allocation-probe.mjs
 * preloaded, and with BENCH_RELAY=1 the parsing relay (bench/parsing-relay.mjs) beside it as the
 * floor. Per series (non-streamed chat at concurrency 16 through wrk, streamed through the Node
 * client), after BENCH_WARMUP seconds (4) of load, BENCH_DURATION seconds (4) counted: requests
 * served, bytes allocated a request (V8's sampling heap profiler, every 256 bytes on average,
 * freed objects kept), the functions that allocated most (dist/ positions mapped to src/ through
 * the bundle's source maps), and in a second process async resources a request by type.
 * BENCH_PROBE_STACKS=1 also lists where the promises were made.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runNodeLoad, runWrkLoad, wrkInstalled, type LoadOptions } from './load.ts';
import { sourcePosition } from './source-names.ts';
import { benchCores, builtGatewayBin, chatBody, measuredProcesses, startSimulator, streamBody, writeGatewayConfig, type MeasuredProcess } from './processes.ts';

const durationMs = Number(process.env.BENCH_DURATION ?? 4) * 1000;
const warmupMs = Number(process.env.BENCH_WARMUP ?? 4) * 1000;
const top = Number(process.env.BENCH_TOP ?? 20);
const { generatorCore, serverCore } = benchCores();
const probe = fileURLToPath(new URL('./allocation-probe.mjs', import.meta.url));

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  children: ProfileNode[];
}
interface ProbeResult {
  requests: number;
  profile?: { head: ProfileNode };
  resources?: Record<string, number>;
  promiseStacks?: Array<[string, number]>;
}

/** `name path:line` of a frame: src/ through dist/'s source maps, else the module as V8 names it. */
function frameName({ functionName, url, lineNumber, columnNumber }: ProfileNode['callFrame']): string {
  return `${functionName || '(anonymous)'} ${sourcePosition(url, lineNumber, columnNumber)}`;
}

/** Bytes allocated by each function itself (its inlined callees included, as V8 samples them). */
function bytesByFunction(head: ProfileNode): Map<string, number> {
  const totals = new Map<string, number>();
  const pending = [head];
  for (let node = pending.pop(); node; node = pending.pop()) {
    if (node.selfSize > 0) {
      const name = frameName(node.callFrame);
      totals.set(name, (totals.get(name) ?? 0) + node.selfSize);
    }
    pending.push(...node.children);
  }
  return totals;
}

/** Starts a process with the probe, loads it for each series, returns what the probe counted per series. */
async function measure(target: MeasuredProcess, mode: 'heap' | 'async', directory: string): Promise<Map<string, ProbeResult>> {
  const out = join(directory, `probe-${mode}.json`);
  const running = await target.start({ flags: ['--import', probe], environment: { BENCH_PROBE: mode, BENCH_PROBE_OUT: out } });
  const results = new Map<string, ProbeResult>();
  try {
    for (const { name, options, stream } of seriesFor(target.url(running.origin), target.key)) {
      await rm(out, { force: true });
      console.error(`bench: ${name}, ${mode}`);
      const onMeasuring = () => process.kill(running.pid, 'SIGUSR2');
      if (stream || !wrkInstalled()) await runNodeLoad(options, generatorCore, onMeasuring);
      else await runWrkLoad(options, generatorCore, onMeasuring);
      process.kill(running.pid, 'SIGUSR2');
      // The probe renames its file into place once written whole.
      while (!existsSync(out)) await sleep(50);
      results.set(name, JSON.parse(await readFile(out, 'utf8')) as ProbeResult);
    }
  } finally {
    await running.stop();
  }
  return results;
}

const directory = await mkdtemp(join(tmpdir(), 'switchboard-bench-allocations-'));
const simulator = await startSimulator(generatorCore);
try {
  const config = await writeGatewayConfig(directory, simulator.origin);
  const targets = measuredProcesses(builtGatewayBin(), config, simulator.origin, serverCore);
  for (const target of targets) {
    const heap = await measure(target, 'heap', directory);
    const asynchronous = await measure(target, 'async', directory);
    for (const [name, result] of heap) {
      const requests = Math.max(result.requests, 1);
      const totals = bytesByFunction(result.profile!.head);
      const allocated = [...totals.values()].reduce((sum, bytes) => sum + bytes, 0);
      const counted = asynchronous.get(name)!;
      const perRequest = (type: string) => ((counted.resources?.[type] ?? 0) / Math.max(counted.requests, 1)).toFixed(1);
      console.log(`\n${target.name}, ${name}; Node ${process.version}; ${result.requests} requests profiled, ${counted.requests} counted`);
      console.log(`allocated ${(allocated / requests / 1024).toFixed(1)} KB a request; a request makes ${perRequest('PROMISE')} promises, ${perRequest('TickObject')} ticks, ${perRequest('Immediate')} immediates, ${perRequest('Timeout')} timers`);
      console.log('bytes a request, by the function that allocated them:');
      for (const [frame, bytes] of [...totals].sort((left, right) => right[1] - left[1]).slice(0, top)) console.log(`${(bytes / requests).toFixed(0).padStart(7)}  ${frame}`);
      if (counted.promiseStacks?.length) {
        console.log('promises a request, by where they were made:');
        for (const [stack, count] of counted.promiseStacks.slice(0, top)) console.log(`${(count / Math.max(counted.requests, 1)).toFixed(2).padStart(7)}  ${stack}`);
      }
    }
  }
} finally {
  await simulator.stop();
  await rm(directory, { recursive: true, force: true });
}

function seriesFor(url: string, key: string): Array<{ name: string; options: LoadOptions; stream: boolean }> {
  const options = { url, key, concurrency: 16, warmupMs, durationMs };
  return [
    { name: 'chat, concurrency 16', options: { ...options, body: chatBody }, stream: false },
    { name: 'stream, concurrency 16', options: { ...options, body: streamBody }, stream: true },
  ];
}
