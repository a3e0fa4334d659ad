import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { runtimeV8Flags } from '../scripts/runtime-flags.js';

/**
 * The V8 flags the bin sets at run time in every process (scripts/runtime-flags.js): which, on
 * which Node, and that the running Node's V8 knows each (an unknown one is only an error line on
 * stderr at start, so a Node release that drops a flag would otherwise go unnoticed).
 */
describe('runtime V8 flags', () => {
  it('caps the old generation growth on every Node version, and frees Maglev jobs on the main thread from Node 22 on', () => {
    assert.deepEqual(runtimeV8Flags([], '20.20.2'), ['--heap-growing-percent=25']);
    assert.deepEqual(runtimeV8Flags([], '22.23.3'), ['--heap-growing-percent=25', '--no-maglev-destroy-on-background']);
    assert.deepEqual(runtimeV8Flags([], '24.21.0'), ['--heap-growing-percent=25', '--no-maglev-destroy-on-background']);
    assert.deepEqual(runtimeV8Flags([], '26.10.0'), ['--heap-growing-percent=25', '--no-maglev-destroy-on-background']);
  });

  it('leaves out what the operator chose, in either spelling or polarity', () => {
    assert.deepEqual(runtimeV8Flags(['--heap-growing-percent=10'], '24.21.0'), ['--no-maglev-destroy-on-background']);
    assert.deepEqual(runtimeV8Flags(['--heap_growing_percent=0', '--max-semi-space-size=16'], '20.20.2'), []);
    for (const chosen of ['--maglev-destroy-on-background', '--no-maglev-destroy-on-background', '--maglev_destroy_on_background=true']) {
      assert.deepEqual(runtimeV8Flags([chosen], '24.21.0'), ['--heap-growing-percent=25'], chosen);
    }
    // A flag that only starts the same way is not a choice of this one.
    assert.deepEqual(runtimeV8Flags(['--heap-growing-percentile=3', '--maglev-destroy-on-background-x'], '24.21.0'), ['--heap-growing-percent=25', '--no-maglev-destroy-on-background']);
  });

  it('gives only flags the running V8 accepts', () => {
    const flags = runtimeV8Flags([], process.versions.node);
    assert.ok(flags.length > 0);
    const run = spawnSync(process.execPath, [...flags, '-e', 'process.exit(0)'], { encoding: 'utf8' });
    assert.equal(run.status, 0, `Node ${process.versions.node} refused ${flags.join(' ')}: ${run.stderr}`);
    assert.doesNotMatch(run.stderr, /unrecognized|bad option/i);
  });
});
