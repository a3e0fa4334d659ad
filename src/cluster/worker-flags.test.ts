import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workerExecArgv } from './primary.ts';

describe("workers' Node.js flags", () => {
  it('give the young generation 8 MB a semi-space, after the primary’s own flags', () => {
    assert.deepEqual(workerExecArgv(['--enable-source-maps'], undefined), ['--enable-source-maps', '--max-semi-space-size=8']);
    assert.deepEqual(workerExecArgv([], ''), ['--max-semi-space-size=8']);
    assert.deepEqual(workerExecArgv(['--inspect'], '--trace-gc'), ['--inspect', '--max-semi-space-size=8']);
  });

  it('never override a semi-space size the operator chose, nor add it twice', () => {
    assert.deepEqual(workerExecArgv(['--max-semi-space-size=4'], undefined), ['--max-semi-space-size=4']);
    assert.deepEqual(workerExecArgv([], '--trace-gc --min-semi-space-size=32'), []);
    assert.deepEqual(workerExecArgv(['--max_semi_space_size', '8'], undefined), ['--max_semi_space_size', '8']);
    // The primary the bin replaced with the flag (Node 22.15+) passes its own on.
    assert.deepEqual(workerExecArgv(['--max-semi-space-size=8'], undefined), ['--max-semi-space-size=8']);
  });
});
