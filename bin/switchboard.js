#!/usr/bin/env node
// The package's bin. Runs the compiled CLI in dist/ (`npm run build`; `npm ci` builds it through
// `prepare`). When dist/ is missing, unfinished or older than a file in src/ (a source edited
// since), it runs src/ through tsx instead and says so in one line on stderr, rather than
// rebuilding: a build takes seconds, and concurrent starts (tests, a cluster's workers) would
// race to rewrite the same dist/. See docs/decisions/0010-compiled-build-and-benchmark.md.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { staleReason } from '../scripts/build-state.js';
import { trimAllocatorPeriodically } from '../scripts/allocator-trim.js';
import { lowerHelperThreads } from '../scripts/helper-threads.js';
import { runtimeV8Flags, youngGenerationFlags } from '../scripts/runtime-flags.js';

// glibc's malloc (Linux) serves a block of 128 KB or more with mmap, and when such a block is
// freed it raises that threshold to the block's size, up to 32 MB, for good, with the trim
// threshold at twice it. A process that once freed a few MB (reading its own code at start does)
// then serves every mid-sized block from the brk heap, where the short-lived ones leave holes
// among the long-lived: under 16 streams sent a chunk at a time, as providers send them, that
// heap settled at 31-36 MB, 24 MB of it free but still resident (malloc_stats), and a process
// at 167-193 MB of RSS. With the threshold fixed at 128 KB, and the trim threshold at the 8 MB
// the raise would have given (trimming at 128 KB cost 5-20% more CPU per non-streamed request,
// the heap's top given back and faulted in again), the heap stays at 6-9 MB and peak RSS fell
// by 18-27 MB in paired runs, at the same CPU (docs/performance.md). The trim threshold is now
// 2 MB: an arena's top is given back once 2 MB of it are free rather than 8, and on Node 24.21
// peak RSS was 2-7 MB lower in every series of alternated pairs (c=64 128 → 121 and 130 → 125,
// c=16 121 → 119, c=1 123 → 121 and 121 → 118, streams 125 → 123; Node 20.20 108 → 106), with
// no CPU cost clear of the noise (lower in 8 of 12 rounds at c=1, 8 of 12 at c=16; fifteenth
// session, docs/performance.md). glibc reads the setting
// only when a process starts: it is put in the environment here, so cluster workers start with
// it on every Node version, and the process replaces itself below to take it too (Node 22.15+).
// Not when the operator set either threshold. Other C libraries ignore the variable.
//
// Two malloc arenas, where glibc makes up to eight a core: each thread that allocates while the
// others' arenas are busy gets one of its own (V8's helper threads collecting and compiling, the
// ledger writer thread), and what is freed in one serves only the threads that use it, so free
// memory is stranded in several. With two, on Node 24.21, peak RSS fell from 128 to 121 MB at
// c=16, 131-132 to 124-127 at c=64 and 131 to 128 streamed (alternated pairs, one core), and from
// 146-155 to 141-145 on two cores with the writer thread, at the same CPU per request within the
// machine's noise; on Node 20.20 it did not move (docs/performance.md, fourteenth session). Not
// when the operator chose a number (the tunable or MALLOC_ARENA_MAX).
const tunables = process.env.GLIBC_TUNABLES ?? '';
const thresholdsChosen =
  /glibc\.malloc\.(mmap|trim)_threshold=/.test(tunables) || process.env.MALLOC_MMAP_THRESHOLD_ !== undefined || process.env.MALLOC_TRIM_THRESHOLD_ !== undefined;
const arenasChosen = /glibc\.malloc\.arena_max=/.test(tunables) || process.env.MALLOC_ARENA_MAX !== undefined;
// The arenas first: /proc/PID/environ shows only the first tunable (below), and each test case of
// test/e2e/cli.test.ts then tells whether ours were added.
const mallocTunables = [
  ...(arenasChosen ? [] : ['glibc.malloc.arena_max=2']),
  ...(thresholdsChosen ? [] : ['glibc.malloc.mmap_threshold=131072', 'glibc.malloc.trim_threshold=2097152']),
].join(':');
const mallocAdded = process.platform === 'linux' && mallocTunables !== '';
// Ahead of the operator's other tunables, so that /proc/PID/environ shows them (glibc 2.36 cuts
// the variable at the first `:` as it parses it in place; test/e2e/cli.test.ts reads it there).
if (mallocAdded) process.env.GLIBC_TUNABLES = tunables ? `${mallocTunables}:${tunables}` : mallocTunables;

// The young generation: 8 MB a semi-space, where V8 grows it to 16 MB under load on Node 20 and to
// 64 MB on Node 22+ (V8 12+), for 12-18 MB less peak RSS at the same CPU per request, non-streamed
// and streamed, at c=1, 16 and 64 (alternated pairs, Node 20.20, 22.23 and 24.21; performance.md,
// tenth session). It costs nothing only because V8 no longer pretenures the gateway's objects
// (scripts/runtime-flags.js): with pretenuring the same halving cost 15% more CPU. V8 reads the
// size only when the process starts, so on Node 22.15+ the process replaces itself with the same
// command plus the flag and the malloc setting above (`process.execve`: the same PID, so a
// container's PID 1, its signals and its stdio stay as they were), before it loads the gateway.
// Node 20 has no execve: there the cluster's workers get the flag from their primary
// (src/cluster/primary.ts, workerExecArgv), and `npm start` passes it. The flag is not added when
// the operator chose a size (command line or NODE_OPTIONS). Never in a cluster worker, which gets
// the primary's flags and environment. Nor where replacing the process would change more than
// that: a parent's IPC channel (fork(), `node --watch`, process managers) does not survive it
// (Node takes NODE_CHANNEL_FD out of the environment), preloaded modules (--require, --import,
// loaders) would run twice, a debugger would lose the process, and the permission model or
// Windows refuse it (after a warning).
const keepsProcess = /^(-r$|--require|--import|--loader|--experimental-loader|--inspect|--debug|--watch|--permission|--experimental-permission)/;
const nodeFlags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
const youngGeneration = youngGenerationFlags(nodeFlags);
const replaceable =
  !cluster.isWorker &&
  process.platform !== 'win32' &&
  process.channel === undefined &&
  Number(process.versions.node.split('.')[0]) >= 22 &&
  typeof process.execve === 'function' &&
  !nodeFlags.some((flag) => keepsProcess.test(flag));
if (replaceable && (youngGeneration.length > 0 || mallocAdded)) {
  try {
    process.execve(process.execPath, [process.execPath, ...process.execArgv, ...youngGeneration, ...process.argv.slice(1)], process.env);
  } catch {
    // Not replaceable after all: run as started, with V8's and glibc's defaults.
  }
}

// V8 settings read while the process runs (the old generation's growth, where Maglev's finished
// jobs are freed, collections on one thread when the process has one core), set here in every
// process: scripts/runtime-flags.js says why.
for (const flag of runtimeV8Flags(nodeFlags, process.versions.node, availableParallelism())) v8.setFlagsFromString(flag);

// V8's helper threads (its compiler's, its collector's) yield the core to the thread that answers
// requests, on Node before 24: scripts/helper-threads.js says why, and why not later. Done before
// anything starts threads of its own.
lowerHelperThreads();

// glibc's free pages below its heaps' tops given back once a second: scripts/allocator-trim.js
// says why (4-10 MB of the peak RSS under load on Node 24).
trimAllocatorPeriodically();

// The workers of `--workers N` run this file too: they take the primary's choice (inherited
// through the environment) instead of checking again, so every process runs the same code.
const choiceVariable = 'SWITCHBOARD_RUN_FROM';
const inherited = cluster.isWorker ? process.env[choiceVariable] : undefined;
let reason;
if (inherited === undefined) {
  reason = staleReason(fileURLToPath(new URL('..', import.meta.url)));
  process.env[choiceVariable] = reason === undefined ? 'dist' : 'src';
}

let main;
if ((inherited ?? process.env[choiceVariable]) === 'dist') {
  ({ main } = await import('../dist/main.js'));
} else {
  if (reason !== undefined) process.stderr.write(`switchboard: running src/ through tsx (slower start): ${reason}; npm run build compiles it\n`);
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/main.ts'));
}
await main(process.argv.slice(2));
