/**
 * `npm run bench:ab -- A B`: two builds of the gateway compared in alternated rounds, the way the
 * changes in docs/performance.md were measured. This machine's speed drifts by 2x within an hour
 * (the raw proxy cost 44-106 µs a request on different days), so two `npm run bench` runs made
 * minutes apart cannot tell a 3% change from the drift; two gateways started side by side on the
 * same core and loaded in turn, the order swapped every round, can.
 *
 * A and B: checkouts (a directory with bin/switchboard.js, with its node_modules; `git worktree
 * add` makes one; one whose dist/ is older than its sources is built first) or bin files; the
 * same one twice compares Node flags (--flags-b).
 * Each round loads A then B (B then A the next round) for --seconds with wrk, or the Node client
 * when wrk is missing, and reads each gateway's CPU time from /proc (all its threads). Prints
 * each figure's median for A and B, the median of the paired differences (B - A), and in how many
 * rounds B's was the lower (better, but for req/s), with that count's two-sided sign-test p (the
 * chance of a split at least as uneven were A and B the same: 8/10 is 0.11, 14/18 0.03; a lead of
 * 8/10 and 6/8 rounds at c=1 did not hold in 16 more, docs/performance.md, twenty-ninth session);
 * then each process's peak RSS over the whole run.
 * With the Node client the time to first byte's median is a figure too (wrk does not read it).
 *
 *   npm run bench:ab -- /tmp/base . --rounds 10 --concurrency 16
 *   npm run bench:ab -- . . --stream --flags-b "--max-semi-space-size=4"
 *   npm run bench:ab -- . . --env-b "GLIBC_TUNABLES=glibc.malloc.arena_max=1"
 *
 * Options: --rounds N (10), --seconds S (3), --concurrency C (16), --stream (streamed chat),
 * --flags-a / --flags-b "FLAGS" (Node flags for that gateway, after those of `npm start`),
 * --env-a / --env-b "NAME=VALUE ..." (environment variables for that gateway, space-separated).
 * BENCH_GENERATOR=node: the Node client even where wrk is installed (what `npm run bench` loads
 * streams with). Like `npm run bench`, the upstream (the OpenAI simulator) and the generator run
 * on core 0 and both gateways on core 1 when the machine has two cores and taskset exists.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { staleReason } from '../scripts/build-state.js';
import { runNodeLoad, runWrkLoad, wrkInstalled, type GeneratorResult, type LoadOptions } from './load.ts';
import { measureLoad, residentMb, type ProcessCost } from './process-stats.ts';
import { benchCores, buildIfStale, chatBody, masterKey, startGateway, startSimulator, streamBody, writeGatewayConfig, type Running } from './processes.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
    stream: { type: 'boolean', default: false },
    'flags-a': { type: 'string', default: '' },
    'flags-b': { type: 'string', default: '' },
    'env-a': { type: 'string', default: '' },
    'env-b': { type: 'string', default: '' },
  },
});
if (positionals.length !== 2) {
  process.stderr.write('usage: npm run bench:ab -- A B [--rounds N] [--seconds S] [--concurrency C] [--stream] [--flags-a "..."] [--flags-b "..."] [--env-a "NAME=VALUE ..."] [--env-b "..."]\n');
  process.exit(2);
}

/** `NAME=VALUE` pairs, space-separated, as an environment to add; exits on a pair without `=`. */
function environmentOf(pairs: string): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const pair of pairs.split(' ').filter(Boolean)) {
    const equals = pair.indexOf('=');
    if (equals <= 0) {
      process.stderr.write(`bench:ab: ${pair}: expected NAME=VALUE\n`);
      process.exit(2);
    }
    environment[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return environment;
}

/** A checkout's bin, or the bin given; exits when there is none. */
function binOf(path: string): string {
  const absolute = resolve(path);
  const bin = existsSync(absolute) && statSync(absolute).isDirectory() ? join(absolute, 'bin', 'switchboard.js') : absolute;
  if (!existsSync(bin)) {
    process.stderr.write(`bench:ab: no gateway at ${bin}\n`);
    process.exit(2);
  }
  // The bin runs src/ through tsx when its dist/ is missing or older than src/, which would
  // measure tsx (a file edited after the last build is enough: docs/performance.md, twenty-eighth
  // session): such a checkout is built first, as `npm run bench` builds its own.
  const checkout = resolve(bin, '..', '..');
  if (staleReason(checkout) !== undefined && existsSync(join(checkout, 'scripts', 'build.js'))) {
    process.stderr.write(`bench:ab: building ${checkout} (its dist/ is older than its sources)\n`);
    buildIfStale(checkout);
  }
  const stale = staleReason(checkout);
  if (stale !== undefined) process.stderr.write(`bench:ab: ${bin} will run src/ through tsx (${stale}): npm run build there first\n`);
  return bin;
}

/** A whole number of at least 1 for `--name`; exits otherwise. */
function count(name: string, text: string): number {
  const value = Number(text);
  if (Number.isInteger(value) && value >= 1) return value;
  process.stderr.write(`bench:ab: --${name} takes a whole number of at least 1, not "${text}"\n`);
  process.exit(2);
}

const rounds = count('rounds', values.rounds);
const durationMs = count('seconds', values.seconds) * 1000;
const concurrency = count('concurrency', values.concurrency);
const mode = values.stream ? 'stream' : 'chat';
const useWrk = process.env.BENCH_GENERATOR !== 'node' && wrkInstalled();
const { generatorCore, serverCore } = benchCores();
const sides = [
  { name: 'A', bin: binOf(positionals[0]!), flags: values['flags-a'].split(' ').filter(Boolean), environment: environmentOf(values['env-a']) },
  { name: 'B', bin: binOf(positionals[1]!), flags: values['flags-b'].split(' ').filter(Boolean), environment: environmentOf(values['env-b']) },
] as const;

type Sample = GeneratorResult & ProcessCost;
const figures = [
  ['CPU µs/request', (sample: Sample) => sample.cpuMicrosPerRequest ?? Number.NaN],
  ['req/s', (sample: Sample) => sample.rps],
  ['p50 ms', (sample: Sample) => sample.p50],
  ['p99 ms', (sample: Sample) => sample.p99],
  // Only the Node client reads the first byte of each answer (wrk does not): streams' TTFB.
  ['TTFB p50 ms', (sample: Sample) => sample.ttfbP50 ?? Number.NaN],
] as const;

/**
 * Two-sided exact sign test: the chance that, of `lower + higher` rounds without a tie, a split at
 * least as uneven as this one comes from two builds that cost the same (each round a coin toss).
 */
function signTestP(lower: number, higher: number): number {
  const rounds = lower + higher;
  if (rounds === 0) return 1;
  const fewer = Math.min(lower, higher);
  let tail = 0;
  let ways = 1; // rounds choose k, for k = 0, 1, ...
  for (let k = 0; k <= fewer; k += 1) {
    tail += ways;
    ways = (ways * (rounds - k)) / (k + 1);
  }
  return Math.min(1, (2 * tail) / 2 ** rounds);
}

const median = (list: readonly number[]): number => {
  const sorted = [...list].sort((left, right) => left - right);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const directory = await mkdtemp(join(tmpdir(), 'switchboard-ab-'));
const simulator = await startSimulator(generatorCore);
const gateways: Running[] = [];
try {
  for (const side of sides) {
    const config = await writeGatewayConfig(await mkdtemp(join(directory, side.name)), simulator.origin);
    gateways.push(await startGateway(side.bin, config, 1, serverCore, { flags: side.flags, environment: side.environment }));
  }
  const load = (gateway: Running, milliseconds: number): Promise<Sample> => {
    const options: LoadOptions = { url: `${gateway.origin}/v1/chat/completions`, key: masterKey, body: mode === 'stream' ? streamBody : chatBody, concurrency, warmupMs: 0, durationMs: milliseconds };
    return measureLoad(gateway.pid, (onMeasuring) => (useWrk ? runWrkLoad(options, generatorCore, onMeasuring) : runNodeLoad(options, generatorCore, onMeasuring)));
  };
  process.stderr.write(`bench:ab: ${mode} at c=${concurrency}, ${rounds} rounds of ${durationMs / 1000} s each, ${useWrk ? 'wrk' : 'the Node client'}\n`);
  // A fresh process runs slower while V8 compiles its hot path: both warm up before round 1.
  for (const gateway of gateways) await load(gateway, 4000);
  const samples: Sample[][] = [[], []];
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const index of order) samples[index]!.push(await load(gateways[index]!, durationMs));
    const cpu = samples.map((list) => list.at(-1)!.cpuMicrosPerRequest?.toFixed(1) ?? '-');
    const errors = samples.map((list) => list.at(-1)!.errors);
    process.stderr.write(`  round ${round + 1}: CPU µs/request A ${cpu[0]}, B ${cpu[1]}${errors.some(Boolean) ? `; errors A ${errors[0]}, B ${errors[1]}` : ''}\n`);
  }
  // "B < A": the rounds where B's figure was the lower (better for all but req/s).
  console.log(['figure'.padEnd(16), 'A'.padStart(10), 'B'.padStart(10), 'B - A'.padStart(10), 'B < A'.padStart(9), 'sign p'.padStart(7)].join(' '));
  for (const [label, read] of figures) {
    const a = samples[0]!.map(read);
    const b = samples[1]!.map(read);
    if (a.every(Number.isNaN)) continue;
    const differences = b.map((value, index) => value - a[index]!);
    const lower = differences.filter((difference) => difference < 0).length;
    const higher = differences.filter((difference) => difference > 0).length;
    const fixed = (value: number) => value.toFixed(label === 'req/s' ? 0 : label === 'CPU µs/request' ? 1 : 3).padStart(10);
    console.log([label.padEnd(16), fixed(median(a)), fixed(median(b)), fixed(median(differences)), `${lower}/${rounds}`.padStart(9), signTestP(lower, higher).toFixed(2).padStart(7)].join(' '));
  }
  const peaks = gateways.map((gateway) => residentMb(gateway.pid, 'VmHWM')?.toFixed(0) ?? '-');
  console.log(`peak RSS over the run: A ${peaks[0]} MB, B ${peaks[1]} MB`);
} finally {
  await Promise.all(gateways.map((gateway) => gateway.stop()));
  await simulator.stop();
  await rm(directory, { recursive: true, force: true });
}
