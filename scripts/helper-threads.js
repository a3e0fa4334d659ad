// The CPU priority of V8's helper threads, lowered by the bin (bin/switchboard.js) on Node before
// 24 in every process: the workers of `--workers N` run the bin too. Kept apart from the bin,
// which runs the gateway when imported, so tests can check it (test/helper-threads.test.ts).
//
// Node starts V8's helper threads (four by default, plus a thread that schedules their delayed
// tasks and one that waits for the inspector's signal) before any JavaScript runs. They compile
// hot functions with TurboFan and mark, sweep and scavenge for the collector, concurrently with
// the main thread, which alone answers requests. Where a process has no core to spare (one
// worker per core, the default, or a worker pinned to one), a helper that wakes takes the core
// from the main thread for a scheduler slice: with `npm run bench`'s gateway pinned to one core
// (Node 20.20, `perf sched`), the main thread was preempted by them about ten times a second for
// 1-17 ms, while a request takes 0.3 ms: a large part of the p99 added at concurrency 1.
// A nice value 5 above the main thread's gives a helper a quarter of the core while both want
// it (scheduler weights 335 against 1024), and the whole core while the main thread waits (for
// the network, or for the helper itself: a parallel scavenge). Two sets of alternated rounds, one
// gateway nice 5 and one as before, both loaded in turn on the one core (Node 20.20;
// docs/performance.md, ninth session): p99 lower in 7 of 8 pairs at concurrency 1 (7.4-8.6 ms
// against 7.9-13.4), 8 of 8 at 16, 7 of 8 at 64 and 8 of 8 for streams at 16; CPU per request
// and peak RSS the same (132-133 MB both; in ten cold starts 1.4 MB more on average, -5 to +9).
// At 10 the p99 fell further (5.2 against 7.8 ms at concurrency 1), but the peak RSS rose by
// 15-35 MB: the helpers' compiling and collecting wait while the process warms up under load,
// and hold their memory longer (the third session saw the same, +28 MB). The ledger's writer
// thread runs at 5 too (ADR 0011). Not on Node 24 and later: there nice 5 raised the peak RSS in
// 6 of 6 cold starts (by 2-12 MB, 7 on average; Maglev, on by default from Node 24, compiles on
// the same helpers) and lowered the p99 at concurrency 1 only (5 of 6 pairs; at 16 in 4 of 6,
// at 64 it was higher in 4 of 6).
//
// Threads started later keep their own priority: the ledger's writer thread sets nice 5 itself,
// and on Node 22+ libuv's pool (file reads, upstream host-name lookups) starts later, at the main
// thread's. On Node 20 the pool already runs when the bin does (it read the bin's modules), and is
// made nicer with the rest; what it does for the gateway is light (lookups, the log's writes).
// Linux only: elsewhere there is no /proc/self/task to list the threads, and a priority set on
// a thread id would apply to the whole process.
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** How much nicer the helper threads are than the main thread. */
export const helperNiceIncrement = 5;

/**
 * Raises the nice value of every thread of this process but the main one to the main thread's
 * plus `helperNiceIncrement` (at most 19); never lowers one, so a thread the operator made
 * nicer stays so. Returns the ids of the threads it changed. `system` stands in for the
 * process's own (tests). Nothing on Node 24 and later (above).
 * @param {{
 *   platform?: string, nodeVersion?: string, pid?: number, threads?: () => number[],
 *   getPriority?: (id: number) => number, setPriority?: (id: number, priority: number) => void,
 * }} [system]
 * @returns {number[]}
 */
export function lowerHelperThreads(system = {}) {
  const platform = system.platform ?? process.platform;
  const pid = system.pid ?? process.pid;
  const read = system.getPriority ?? getPriority;
  const write = system.setPriority ?? setPriority;
  const major = Number((system.nodeVersion ?? process.versions.node).split('.')[0]);
  if (platform !== 'linux' || major >= 24) return [];
  let threads;
  try {
    threads = system.threads ? system.threads() : readdirSync('/proc/self/task').map(Number);
  } catch {
    return [];
  }
  let target;
  try {
    target = Math.min(19, read(pid) + helperNiceIncrement);
  } catch {
    return []; // The main thread's priority could not be read: every thread keeps its own.
  }
  const changed = [];
  for (const thread of threads) {
    if (thread === pid) continue;
    try {
      if (read(thread) >= target) continue;
      write(thread, target);
      changed.push(thread);
    } catch {
      // The thread ended since it was listed, or the system refused: it keeps its priority.
    }
  }
  return changed;
}
