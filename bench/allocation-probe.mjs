// Preloaded (`node --import`) into the process `npm run bench:allocations` measures
// (bench/allocations.ts). The first SIGUSR2 starts counting, the second stops and writes what was
// counted to BENCH_PROBE_OUT as JSON: the HTTP requests served (diagnostics_channel), and either
// (BENCH_PROBE=heap) V8's sampling heap profile, keeping the objects the scavenges and the major
// GCs freed (so it says where every byte was allocated, not what survived), or
// (BENCH_PROBE=async) how many async resources of each type (promises, ticks, immediates,
// timers) were made, and where the promises were made (BENCH_PROBE_STACKS=1: slower).
// Plain JavaScript: it must not depend on the process's loader.
import { createHook } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const mode = process.env.BENCH_PROBE ?? 'heap';
const out = process.env.BENCH_PROBE_OUT;
const withStacks = process.env.BENCH_PROBE_STACKS === '1';
let counting = false;
let requests = 0;
subscribe('http.server.request.start', () => {
  if (counting) requests += 1;
});

const resources = new Map();
const promiseStacks = new Map();
if (mode === 'async') {
  createHook({
    init(id, type) {
      if (!counting) return;
      resources.set(type, (resources.get(type) ?? 0) + 1);
      if (withStacks && type === 'PROMISE') {
        const stack = (new Error().stack ?? '').split('\n').slice(4, 8).map((line) => line.trim().replace(/^at /, '')).join(' < ');
        promiseStacks.set(stack, (promiseStacks.get(stack) ?? 0) + 1);
      }
    },
  }).enable();
}

const session = new Session();
session.connect();
const post = (method, parameters) =>
  new Promise((resolve, reject) => session.post(method, parameters, (error, result) => (error ? reject(error) : resolve(result))));

process.on('SIGUSR2', async () => {
  if (!counting) {
    requests = 0;
    resources.clear();
    promiseStacks.clear();
    if (mode === 'heap') {
      await post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    }
    counting = true;
    return;
  }
  counting = false;
  const result = { requests };
  if (mode === 'heap') result.profile = (await post('HeapProfiler.stopSampling', {})).profile;
  else {
    result.resources = Object.fromEntries(resources);
    result.promiseStacks = [...promiseStacks].sort((left, right) => right[1] - left[1]).slice(0, 40);
  }
  // Written aside and renamed, so the runner, which waits for the file, never reads half of it.
  writeFileSync(`${out}.tmp`, JSON.stringify(result));
  renameSync(`${out}.tmp`, out);
});
