// glibc's free pages handed back to the system once a second, in every process the bin starts
// (bin/switchboard.js): the workers of `--workers N` run the bin too. Kept apart from the bin,
// which runs the gateway when imported, so tests can check it (test/allocator-trim.test.ts).
//
// glibc returns a heap's memory to the system only from its top (past trim_threshold, which the
// bin sets to 2 MB); the pages of chunks freed below a chunk still in use stay resident. A
// gateway's native allocations interleave short-lived blocks (a socket's 64 KB read buffers,
// Buffers' backing stores, V8's compiler zones) with long-lived ones, so its brk heap held 18-24
// MB of which 12.5 MB were in use under load (Node 24.21, c=16; glibc's `malloc_stats` through
// gdb), and `malloc_trim(0)` from gdb took the process from 122.7 to 114.7 MB at once.
// `malloc_trim(0)` walks every arena and gives back each free chunk's whole pages
// (`madvise(MADV_DONTNEED)`; man 3 malloc_trim: "since glibc 2.8 ... in all arenas and in all
// chunks with whole free pages"). Called once a second (docs/performance.md, twentieth
// session): peak RSS 111-116 MB instead of 115-124 at c=1, 16 and 64 on Node 24.21, the pages
// reused meanwhile faulted in again.
//
// The call is glibc's, reached through a Node-API addon of ours (native/malloc-trim, an optional
// dependency built by node-gyp at `npm ci`; no maintained package on npm offers it). Where the
// addon did not build (no compiler, not Linux) or the C library is not glibc, nothing runs.
import { createRequire } from 'node:module';

/** How often the allocator is trimmed, in milliseconds, unless SWITCHBOARD_MALLOC_TRIM_MS says. */
export const trimIntervalMs = 1000;

/**
 * The interval SWITCHBOARD_MALLOC_TRIM_MS sets (0: never), else `trimIntervalMs`; a value that
 * is not a whole number of milliseconds is refused with a line on stderr, and the default kept.
 * @param {string | undefined} [value]
 * @returns {number}
 */
export function trimIntervalFrom(value = process.env.SWITCHBOARD_MALLOC_TRIM_MS) {
  if (value === undefined || value === '') return trimIntervalMs;
  if (/^\d+$/.test(value)) return Number(value);
  process.stderr.write(`switchboard: SWITCHBOARD_MALLOC_TRIM_MS="${value}" is not a whole number of milliseconds; trimming every ${trimIntervalMs} ms\n`);
  return trimIntervalMs;
}

/**
 * The addon's `trim()`, or undefined where it is not installed or not glibc's to call.
 * @returns {(() => boolean | undefined) | undefined}
 */
export function loadTrim() {
  try {
    /** @type {{ trim(): boolean | undefined }} */
    const addon = createRequire(import.meta.url)('switchboard-malloc-trim');
    // undefined: built, but not against glibc (musl): no malloc_trim to call.
    return addon.trim() === undefined ? undefined : addon.trim;
  } catch {
    return undefined;
  }
}

/**
 * Calls `trim` every `intervalMs` on an unreferenced timer (it never keeps a process alive).
 * Returns the timer to clear, or undefined when the interval is 0 or there is no trim to call.
 * @param {number} [intervalMs]
 * @param {() => ((() => unknown) | undefined)} [load]
 * @returns {NodeJS.Timeout | undefined}
 */
export function trimAllocatorPeriodically(intervalMs = trimIntervalFrom(), load = loadTrim) {
  if (intervalMs === 0) return undefined;
  const trim = load();
  if (trim === undefined) return undefined;
  return setInterval(trim, intervalMs).unref();
}
