// V8 settings the bin (bin/switchboard.js) sets at run time, in every process: the workers of
// `--workers N` run the bin too. Each is left out when the operator chose it on the command line
// (Node takes neither in NODE_OPTIONS). Kept apart from the bin, which runs the gateway when
// imported, so tests can check the choice and that the running Node's V8 knows every flag
// (test/runtime-flags.test.ts).

// After a full collection V8 lets the old generation grow to 1.1-4 times what survived before
// the next one, by its own measure of the collections' speed. A gateway's garbage is short-lived
// requests that outlived a young-generation collection, so it let one process grow from 77 MB
// idle to 165-180 MB under 16-64 concurrent requests (Node 20.20). Growing by 25% at most keeps
// it at 120-130 MB (Node 24: 160 instead of 180), for 0-4% more CPU per request in paired runs
// (both builds loaded at once on one core; docs/performance.md). The flag is read at every
// collection, so setting it at run time works, on every Node version.
const heapGrowingFlag = /^--heap[-_]growing[-_]percent(=|$)/;

// Maglev, V8's mid-tier compiler (on by default from Node 24; off in Node 22's V8 12.4, absent
// from Node 20's), compiles on V8's helper threads and by default frees each finished job's
// memory there too. Much of that memory then stays resident in glibc's malloc though free: after
// 30 s of load on Node 24.21 one process held 24-42 MB of it (what `malloc_trim` gave back when
// called from gdb), its peak RSS 162-177 MB. With the jobs freed on the main thread, where V8
// finalizes them anyway: 148-161 MB (8-21 MB free); in alternated rounds with both builds loaded,
// 147-154 against 159-174 MB, at the same CPU per request within the machine's noise; Node 26.10
// 152-154 against 168-171 (docs/performance.md, eighth session; the saving varies from run to
// run). V8 reads the flag each time a job ends, so setting it at run time works. Set from Node 22
// on, whose V8 has it (Maglev can be turned on there with --maglev).
const maglevDestroyFlag = /^--(no-)?maglev[-_]destroy[-_]on[-_]background(=|$)/;

// undici reads HTTP/1.1 answers with llhttp compiled to WebAssembly. On Node 20 (V8 11.3) the first
// request through undici has V8 compile that module with TurboFan on a helper thread, and the
// compile's memory takes the process from 80 to 118 MB of RSS for about 0.1 s before malloc
// gives it back (strace: MADV_DONTNEED on the helper's arena; /proc/PID/status every 50 ms):
// 36 MB of the 37 a first undici request adds to a bare Node 20, 2 with Liftoff, V8's baseline
// WebAssembly compiler, only. A gateway that starts under load pays it on top of the load's own
// memory: with the young generation at 8 MB (the bin) the peak at c=16 was 128-129 MB without
// this flag and 109 with it, CPU per request the same within noise, non-streamed and streamed
// (alternated pairs, both slots; llhttp is 1-2% of a CPU profile). Node 22 and 24 compile llhttp
// with Liftoff first and tier it up only once hot, and their peaks did not change with the flag,
// so it is Node 20's only (docs/performance.md, tenth session). V8 reads it when it compiles a
// module, so setting it at run time works: undici compiles llhttp at its first connection.
const wasmTierFlag = /^--(no-)?(liftoff|liftoff[-_]only|wasm[-_]tier[-_]up|wasm[-_]dynamic[-_]tiering)(=|$)/;

// V8 allocates an object in the old generation directly, skipping the young one, once most
// objects from the same place in the code (its allocation site) have survived a young-generation
// collection: "pretenuring". A gateway's per-request objects survive one when their request is in
// flight as it runs, so under load V8 pretenured about 20 sites (`--trace-pretenuring-statistics`,
// Node 20.20, c=16) whose objects then died soon after in the old generation, which filled up and
// was marked and compacted more often: `--trace-gc-nvp` counted 8.9% of what was allocated
// reaching the old generation with an 8 MB young generation, and 35 mark-compacts in a 13 s
// run; 1.9% and 13 without pretenuring (2.5% and 1.7% with V8's 16 MB). Without it, CPU is the
// same or 2-4% lower per request, and the young generation can be halved (the bin, primary.ts)
// for 12-18 MB less peak RSS at the same CPU, where with pretenuring halving it cost 15% more
// CPU (alternated pairs, Node 20.20, 22.23 and 24.21; docs/performance.md, tenth session). Set at
// run time it works as on the command line: no site tenured, 1.86% reaching the old generation.
const pretenuringFlag = /^--(no-)?allocation[-_]site[-_]pretenuring(=|$)/;

// A young-generation collection (scavenge) is split over V8's helper threads, which pays when
// they run on other cores. A process that has one core (a container limited to one CPU,
// `taskset`, the benchmark's pinned gateway) runs them on the core its event loop needs, for
// the tasks' start, hand-over and switches. Scavenging on the main thread alone there
// (`bench:ab`, one core, alternated rounds): Node 24.21 at c=1 -13.0 µs a request (13/16
// rounds lower), p50 -0.011 ms (14/16); Node 20.20 at c=1 -4.7 µs (8/12); at c=16 -2.2 µs (6/10)
// and at c=64 -0.1 (5/10), no change (docs/performance.md, seventeenth session). V8 reads it at
// each scavenge, so setting it at run time works. Marking stays concurrent: without that (or
// with `--single-threaded-gc`) the c=64 p99 and the peak RSS rose.
//
// The same for the two phases of a mark-compact that V8 splits over its helpers (moving the
// surviving objects, then updating the pointers to them): on one core, done on the main thread
// alone, Node 24.21 spent -3.2 µs a request at c=64 (8/10 rounds lower) and -2.7 at c=16 (8/10),
// p99 -0.9 ms (7/10) at c=16; Node 20.20 -0.3 and -0.7 (6/10, 5/10), c=1 unchanged. Read at each
// mark-compact, so set at run time too. The atomic pause's marking stays split: without it as well
// the c=64 p99 went from 28 to 38 ms and the peak RSS to 191 MB (ADR 0019).
// Each flag with what an operator's choice of it looks like.
const oneCoreFlags = [
  ['--no-parallel-scavenge', /^--(no-)?parallel[-_]scavenge(=|$)/],
  ['--no-parallel-compaction', /^--(no-)?parallel[-_]compaction(=|$)/],
  ['--no-parallel-pointer-update', /^--(no-)?parallel[-_]pointer[-_]update(=|$)/],
];

// The young generation's size is read only when a process starts, so it is not among the flags
// above: the bin gives it to its own process by replacing it (Node 22.15+), and the cluster's
// primary to its workers (src/cluster/primary.ts). bin/switchboard.js says why 8 MB.
const semiSpaceFlag = /^--(max|min)[-_]semi[-_]space[-_]size(=|$)/;

/**
 * The start-time flag that sets the young generation's size, or none when `nodeFlags` (the
 * process's command line and NODE_OPTIONS, split) already choose a semi-space size.
 * @param {readonly string[]} nodeFlags
 * @returns {string[]}
 */
export function youngGenerationFlags(nodeFlags) {
  return nodeFlags.some((flag) => semiSpaceFlag.test(flag)) ? [] : ['--max-semi-space-size=8'];
}

/**
 * The V8 flags to set with `v8.setFlagsFromString`, one each, given the flags the process was
 * started with (`process.execArgv` and NODE_OPTIONS), its Node version and the cores it may run
 * on (`os.availableParallelism()`, which counts what the CPU affinity allows).
 * @param {readonly string[]} nodeFlags
 * @param {string} nodeVersion `process.versions.node`
 * @param {number} cores
 * @returns {string[]}
 */
export function runtimeV8Flags(nodeFlags, nodeVersion, cores) {
  const flags = [];
  if (!nodeFlags.some((flag) => heapGrowingFlag.test(flag))) flags.push('--heap-growing-percent=25');
  const major = Number(nodeVersion.split('.')[0]);
  if (major >= 22 && !nodeFlags.some((flag) => maglevDestroyFlag.test(flag))) flags.push('--no-maglev-destroy-on-background');
  if (!nodeFlags.some((flag) => pretenuringFlag.test(flag))) flags.push('--no-allocation-site-pretenuring');
  if (major < 22 && !nodeFlags.some((flag) => wasmTierFlag.test(flag))) flags.push('--liftoff-only');
  if (cores <= 1) for (const [flag, chosen] of oneCoreFlags) if (!nodeFlags.some((given) => chosen.test(given))) flags.push(flag);
  return flags;
}
