/**
 * `npm run bench:instructions`: the machine instructions a request costs the gateway, counted by
 * valgrind's callgrind, in total and by function. Time on this VM drifts by 2x within an hour
 * (docs/performance.md), so a change of a few µs cannot be timed; an instruction count is the
 * same in a slow phase as in a fast one, and callgrind says which function ran them: V8's C++
 * (JSON, garbage collection), its builtins (inline-cache misses, string joins), Node's and
 * undici's JavaScript, and ours, mapped from dist/ to src/.
 *
 * The gateway (`--workers 1`, flags as `npm start` gives, plus `--perf-basic-prof` so its
 * compiled code can be named) runs under `valgrind --tool=callgrind` with counting off; after
 * BENCH_WARMUP_REQUESTS requests (4000) at BENCH_CONCURRENCY (4), counting is turned on for
 * BENCH_REQUESTS requests (1000), BENCH_ROUNDS times (3), and each round dumped. Per series
 * (non-streamed chat, then streamed): instructions a request on the main thread (the one that
 * serves requests; the median round, with every round's figure: a round with a major GC or
 * code being optimised again is higher) and on the other threads (V8's compiler and GC helpers,
 * the ledger's writer); shares by kind; the functions that ran most themselves; our functions
 * with what they called. BENCH_RELAY=1 measures the parsing relay (bench/parsing-relay.mjs) too,
 * the floor a Node process that parses both bodies cannot go below; BENCH_STREAM=0 leaves the
 * streamed series out. Needs valgrind
 * (`apt-get install -y valgrind`); takes about two minutes a series.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { readCallgrind, readPerfMap, type FunctionCost, type ThreadCosts } from './callgrind.ts';
import { builtGatewayBin, chatBody, measuredProcesses, startSimulator, streamBody, writeGatewayConfig, type MeasuredProcess } from './processes.ts';

const requests = Number(process.env.BENCH_REQUESTS ?? 1000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const warmupRequests = Number(process.env.BENCH_WARMUP_REQUESTS ?? 4000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);
const top = Number(process.env.BENCH_TOP ?? 25);

if (spawnSync('valgrind', ['--version']).error !== undefined || spawnSync('callgrind_control', ['-h']).error !== undefined) {
  console.error('bench:instructions needs valgrind and callgrind_control (apt-get install -y valgrind)');
  process.exit(1);
}

/** Sends `count` requests, `concurrency` at a time over the pool's kept-alive connections; throws if any was not a 200. */
async function send(pool: Pool, url: URL, key: string, body: string, count: number): Promise<void> {
  let left = count;
  let failed = 0;
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const worker = async () => {
    while (left > 0) {
      left -= 1;
      const answer = await pool.request({ method: 'POST', path: url.pathname, headers, body });
      await answer.body.arrayBuffer();
      if (answer.statusCode !== 200) failed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failed > 0) throw new Error(`${failed} of ${count} requests to ${url.href} failed`);
}

function callgrindControl(pid: number, ...command: string[]): void {
  const run = spawnSync('callgrind_control', [...command, String(pid)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`callgrind_control ${command.join(' ')}: ${run.stderr || run.stdout}`);
}

/** The dump `number` of `base`: one file a thread, "-01" the main thread; waits until callgrind wrote them. */
async function readDump(base: string, number: number, perfMap: string): Promise<Dump> {
  const directory = dirname(base);
  const prefix = `${basename(base)}.${number}-`;
  for (let waited = 0; !existsSync(`${base}.${number}-01`); waited += 100) {
    if (waited > 60_000) throw new Error(`callgrind wrote no dump ${number} for ${base} (found: ${readdirSync(directory).join(', ')})`);
    await sleep(100);
  }
  const ranges = readPerfMap(perfMap);
  let main: ThreadCosts | undefined;
  let others = 0;
  const othersByFunction = new Map<string, number>();
  for (const file of readdirSync(directory).filter((name) => name.startsWith(prefix))) {
    const costs = readCallgrind(join(directory, file), ranges);
    if (file.endsWith('-01')) {
      main = costs;
      continue;
    }
    others += costs.total;
    for (const { name, self } of costs.functions) othersByFunction.set(name, (othersByFunction.get(name) ?? 0) + self);
  }
  return { main: main!, others, othersByFunction };
}

/** One round: the main thread's costs; the other threads' total and what their functions ran themselves. */
interface Dump {
  main: ThreadCosts;
  others: number;
  othersByFunction: Map<string, number>;
}

// Shares by kind, by the function's name; the first that matches counts it.
const kinds: Array<[string, RegExp]> = [
  ['JSON parse and stringify (V8)', /Json/],
  ['property-access misses (inline caches)', /^Builtins_\w*IC(_|$|\w*Megamorphic|Baseline|Trampoline)/],
  ['garbage collection and allocation', /Heap|Scaveng|MarkCompact|Sweep|Evacuat|Marking|AllocateRaw|Factory/],
  ['regular expressions', /RegExp/],
  ['our code (src/, itself)', / src\//],
  ['undici (its JavaScript and WebAssembly parser)', / undici\/|unnamed run-time code/],
  ['Node (http, streams, events, timers: JavaScript)', / node:/],
  ['Node and libuv (C++), llhttp, libc', /^node::|^uv_|^uv__|llhttp|^__|^_int_|^malloc|^free|^mem/],
];

function formatted(count: number): string {
  return Math.round(count).toLocaleString('en-US');
}

function report(target: string, series: string, results: Dump[]): void {
  const sorted = [...results].sort((left, right) => left.main.total - right.main.total);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const perRequest = (count: number) => count / requests;
  const total = median.main.total;
  console.log(`\n${target}, ${series}; Node ${process.version}; ${rounds} rounds of ${requests} requests at concurrency ${concurrency}, after ${warmupRequests}`);
  console.log(
    `main thread: ${formatted(perRequest(total))} instructions a request (rounds: ${results.map((round) => formatted(perRequest(round.main.total))).join(', ')}); ` +
      `other threads: ${formatted(perRequest(median.others))}`,
  );
  const byKind = new Map<string, number>();
  for (const { name, self } of median.main.functions) {
    const kind = kinds.find(([, pattern]) => pattern.test(name))?.[0] ?? 'other (V8 builtins and run time)';
    byKind.set(kind, (byKind.get(kind) ?? 0) + self);
  }
  console.log('by kind (what functions ran themselves):');
  for (const [kind, count] of [...byKind].sort((left, right) => right[1] - left[1])) {
    console.log(`${formatted(perRequest(count)).padStart(9)} ${((100 * count) / total).toFixed(1).padStart(5)}%  ${kind}`);
  }
  const table = (title: string, functions: FunctionCost[], cost: (entry: FunctionCost) => number) => {
    console.log(title);
    for (const entry of [...functions].sort((left, right) => cost(right) - cost(left)).slice(0, top)) {
      console.log(`${formatted(perRequest(cost(entry))).padStart(9)} ${((100 * cost(entry)) / total).toFixed(1).padStart(5)}%  ${entry.name}`);
    }
  };
  table('functions by the instructions they ran themselves, a request:', median.main.functions, (entry) => entry.self);
  console.log('other threads, functions by the instructions they ran themselves, a request:');
  for (const [name, count] of [...median.othersByFunction].sort((left, right) => right[1] - left[1]).slice(0, 10)) {
    console.log(`${formatted(perRequest(count)).padStart(9)}  ${name}`);
  }
  table(
    'our functions (src/) by the instructions they ran with what they called, a request (a function re-entered below itself counts twice):',
    median.main.functions.filter((entry) => entry.name.includes(' src/')),
    (entry) => entry.inclusive,
  );
}

async function measure(target: MeasuredProcess, directory: string): Promise<void> {
  const base = join(directory, `callgrind-${target.name}`);
  const wrapper = ['valgrind', '-q', '--tool=callgrind', '--separate-threads=yes', '--instr-atstart=no', `--callgrind-out-file=${base}`];
  // --perf-basic-prof has V8 log code events too, to isolate-*.log files in the working folder unless told where.
  const running = await target.start({ wrapper, flags: ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${base}-v8.log`] });
  const perfMap = `/tmp/perf-${running.pid}.map`;
  const url = new URL(target.url(running.origin));
  const pool = new Pool(url.origin, { connections: concurrency });
  let dumps = 0;
  try {
    const series = [['chat (non-streamed)', chatBody] as const, ...(process.env.BENCH_STREAM === '0' ? [] : [['stream', streamBody] as const])];
    for (const [name, body] of series) {
      console.error(`bench: ${target.name}, ${name}: ${warmupRequests} requests to warm up (under valgrind: slow)`);
      await send(pool, url, target.key, body, warmupRequests);
      const results = [];
      for (let round = 1; round <= rounds; round += 1) {
        console.error(`bench: ${target.name}, ${name}: round ${round} of ${rounds}`);
        callgrindControl(running.pid, '--zero');
        callgrindControl(running.pid, '--instr=on');
        await send(pool, url, target.key, body, requests);
        callgrindControl(running.pid, '--instr=off');
        // A plain word: a description with spaces or brackets makes callgrind_control drop the dump.
        callgrindControl(running.pid, `--dump=round-${dumps + 1}`);
        dumps += 1;
        results.push(await readDump(base, dumps, perfMap));
      }
      report(target.name, name, results);
    }
  } finally {
    await pool.close();
    await running.stop();
    await rm(perfMap, { force: true });
  }
}

const directory = await mkdtemp(join(tmpdir(), 'switchboard-bench-instructions-'));
const simulator = await startSimulator();
try {
  const config = await writeGatewayConfig(directory, simulator.origin);
  const targets = measuredProcesses(builtGatewayBin(), config, simulator.origin, undefined);
  for (const target of targets) await measure(target, directory);
} finally {
  await simulator.stop();
  await rm(directory, { recursive: true, force: true });
}
