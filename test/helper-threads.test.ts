import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { helperNiceIncrement, lowerHelperThreads } from '../scripts/helper-threads.js';

/** A process's threads and their priorities, as `lowerHelperThreads` sees them through `system`. */
function fakeSystem(priorities: Record<number, number>, failing: number[] = []) {
  const now = { ...priorities };
  return {
    now,
    system: {
      platform: 'linux',
      nodeVersion: '20.20.2',
      pid: 100,
      threads: () => Object.keys(priorities).map(Number),
      getPriority: (id: number) => {
        if (!(id in now)) throw new Error('ESRCH');
        return now[id]!;
      },
      setPriority: (id: number, priority: number) => {
        if (failing.includes(id)) throw new Error('EACCES');
        now[id] = priority;
      },
    },
  };
}

/**
 * The bin makes V8's helper threads nicer than the main thread (scripts/helper-threads.js), so
 * that on a busy core a waking compiler or collector thread does not take it from the requests.
 */
describe('helper thread priority', () => {
  it('makes every thread but the main one nicer by the increment, never less nice than it was, up to 19', () => {
    const plain = fakeSystem({ 100: 0, 101: 0, 102: 0, 103: 15 });
    assert.deepEqual(lowerHelperThreads(plain.system), [101, 102]);
    assert.deepEqual(plain.now, { 100: 0, 101: helperNiceIncrement, 102: helperNiceIncrement, 103: 15 });
    // A process started nice (`nice -n 16 switchboard serve`): its helpers go to 19, no further.
    const started = fakeSystem({ 100: 16, 101: 16, 102: 19 });
    assert.deepEqual(lowerHelperThreads(started.system), [101]);
    assert.deepEqual(started.now, { 100: 16, 101: 19, 102: 19 });
  });

  it('goes on past a thread that ended or was refused, and does nothing off Linux, without /proc or on Node 24+', () => {
    const some = fakeSystem({ 100: 0, 101: 0, 102: 0, 103: 0 }, [102]);
    delete some.now[101]; // ended between the listing and the change
    assert.deepEqual(lowerHelperThreads(some.system), [103]);
    assert.deepEqual(some.now, { 100: 0, 102: 0, 103: helperNiceIncrement });
    const elsewhere = fakeSystem({ 100: 0, 101: 0 });
    assert.deepEqual(lowerHelperThreads({ ...elsewhere.system, platform: 'darwin' }), []);
    assert.deepEqual(lowerHelperThreads({ ...elsewhere.system, threads: () => { throw new Error('ENOENT'); } }), []);
    assert.deepEqual(lowerHelperThreads({ ...elsewhere.system, nodeVersion: '24.21.0' }), []);
    assert.deepEqual(elsewhere.now, { 100: 0, 101: 0 });
    const older = fakeSystem({ 100: 0, 101: 0 });
    assert.deepEqual(lowerHelperThreads({ ...older.system, nodeVersion: '22.23.3' }), [101]);
  });

  it("lowers the running Node's helper threads and leaves its main thread as it was", { skip: process.platform !== 'linux' || Number(process.versions.node.split('.')[0]) >= 24 }, () => {
    const module = fileURLToPath(new URL('../scripts/helper-threads.js', import.meta.url));
    // Each thread's name and nice value (field 19 of proc(5)'s stat, the 17th after the name).
    const script = [
      `import { lowerHelperThreads } from ${JSON.stringify(module)};`,
      "import { readdirSync, readFileSync } from 'node:fs';",
      'const changed = lowerHelperThreads();',
      "const threads = readdirSync('/proc/self/task').map((id) => { const stat = readFileSync(`/proc/self/task/${id}/stat`, 'utf8'); return { id: Number(id), name: readFileSync(`/proc/self/task/${id}/comm`, 'utf8').trim(), nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) }; });",
      'console.log(JSON.stringify({ pid: process.pid, changed, threads }));',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const { pid, changed, threads } = JSON.parse(run.stdout) as { pid: number; changed: number[]; threads: Array<{ id: number; name: string; nice: number }> };
    const main = threads.find((thread) => thread.id === pid)!;
    const target = Math.min(19, main.nice + helperNiceIncrement);
    const helpers = threads.filter((thread) => thread.id !== pid);
    // Node starts a delayed-task thread and four V8 workers before any JavaScript runs.
    assert.ok(helpers.length >= 5, JSON.stringify(threads));
    for (const helper of helpers) assert.equal(helper.nice, target, JSON.stringify(threads));
    // They started at the main thread's priority, so each was changed (unless that was 19 already).
    if (main.nice < 19) assert.deepEqual([...changed].sort(), helpers.map((thread) => thread.id).sort());
  });
});
