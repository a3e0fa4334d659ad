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

/**
 * The V8 flags to set with `v8.setFlagsFromString`, one each, given the flags the process was
 * started with (`process.execArgv` and NODE_OPTIONS) and its Node version.
 * @param {readonly string[]} nodeFlags
 * @param {string} nodeVersion `process.versions.node`
 * @returns {string[]}
 */
export function runtimeV8Flags(nodeFlags, nodeVersion) {
  const flags = [];
  if (!nodeFlags.some((flag) => heapGrowingFlag.test(flag))) flags.push('--heap-growing-percent=25');
  const major = Number(nodeVersion.split('.')[0]);
  if (major >= 22 && !nodeFlags.some((flag) => maglevDestroyFlag.test(flag))) flags.push('--no-maglev-destroy-on-background');
  return flags;
}
