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
  it('caps the old generation growth and turns pretenuring off on every Node version, keeps WebAssembly at Liftoff on Node 20, and frees Maglev jobs on the main thread from Node 22 on', () => {
    const everywhere = ['--heap-growing-percent=25', '--no-allocation-site-pretenuring'];
    assert.deepEqual(runtimeV8Flags([], '20.20.2', 2), [...everywhere, '--liftoff-only']);
    for (const version of ['22.23.3', '24.21.0', '26.10.0']) {
      assert.deepEqual(runtimeV8Flags([], version, 2), [everywhere[0], '--no-maglev-destroy-on-background', everywhere[1]], version);
    }
  });

  it('collects on the main thread alone (scavenges, compaction, pointer updates) when the process has one core, unless the operator chose', () => {
    const oneCore = ['--no-parallel-scavenge', '--no-parallel-compaction', '--no-parallel-pointer-update'];
    for (const version of ['20.20.2', '24.21.0']) {
      assert.deepEqual(runtimeV8Flags([], version, 1).slice(-3), oneCore, version);
      assert.ok(!runtimeV8Flags([], version, 2).some((flag) => oneCore.includes(flag)), version);
    }
    for (const chosen of ['--parallel-scavenge', '--no-parallel_scavenge', '--parallel-scavenge=true']) {
      assert.deepEqual(runtimeV8Flags([chosen], '24.21.0', 1).slice(-2), oneCore.slice(1), chosen);
      assert.ok(!runtimeV8Flags([chosen], '24.21.0', 1).includes('--no-parallel-scavenge'), chosen);
    }
    assert.ok(!runtimeV8Flags(['--parallel_compaction'], '24.21.0', 1).includes('--no-parallel-compaction'));
    assert.ok(!runtimeV8Flags(['--no-parallel-pointer-update'], '24.21.0', 1).includes('--no-parallel-pointer-update'));
    assert.deepEqual(runtimeV8Flags(['--parallel-scavenge-x', '--parallel-compaction-x'], '24.21.0', 1).slice(-3), oneCore);
  });

  it('leaves out what the operator chose, in either spelling or polarity', () => {
    assert.deepEqual(runtimeV8Flags(['--heap-growing-percent=10'], '24.21.0', 2), ['--no-maglev-destroy-on-background', '--no-allocation-site-pretenuring']);
    assert.deepEqual(runtimeV8Flags(['--heap_growing_percent=0', '--max-semi-space-size=16', '--allocation-site-pretenuring'], '20.20.2', 2), ['--liftoff-only']);
    for (const chosen of ['--maglev-destroy-on-background', '--no-maglev-destroy-on-background', '--maglev_destroy_on_background=true']) {
      assert.deepEqual(runtimeV8Flags([chosen], '24.21.0', 2), ['--heap-growing-percent=25', '--no-allocation-site-pretenuring'], chosen);
    }
    for (const chosen of ['--allocation-site-pretenuring', '--no-allocation_site_pretenuring', '--allocation-site-pretenuring=false']) {
      assert.deepEqual(runtimeV8Flags([chosen], '24.21.0', 2), ['--heap-growing-percent=25', '--no-maglev-destroy-on-background'], chosen);
    }
    for (const chosen of ['--liftoff', '--no-liftoff', '--liftoff-only', '--no-liftoff_only', '--wasm-tier-up', '--no-wasm-dynamic-tiering', '--liftoff=false']) {
      assert.deepEqual(runtimeV8Flags([chosen], '20.20.2', 2), ['--heap-growing-percent=25', '--no-allocation-site-pretenuring'], chosen);
    }
    // A flag that only starts the same way is not a choice of this one.
    assert.deepEqual(runtimeV8Flags(['--heap-growing-percentile=3', '--maglev-destroy-on-background-x', '--allocation-site-pretenuring-x'], '24.21.0', 2), [
      '--heap-growing-percent=25',
      '--no-maglev-destroy-on-background',
      '--no-allocation-site-pretenuring',
    ]);
    assert.deepEqual(runtimeV8Flags(['--liftoff-onlyx', '--wasm-tier-up-x'], '20.20.2', 2), ['--heap-growing-percent=25', '--no-allocation-site-pretenuring', '--liftoff-only']);
  });

  it('gives only flags the running V8 accepts', () => {
    const flags = runtimeV8Flags([], process.versions.node, 1);
    assert.ok(flags.length > 0);
    const run = spawnSync(process.execPath, [...flags, '-e', 'process.exit(0)'], { encoding: 'utf8' });
    assert.equal(run.status, 0, `Node ${process.versions.node} refused ${flags.join(' ')}: ${run.stderr}`);
    assert.doesNotMatch(run.stderr, /unrecognized|bad option/i);
  });
});
