import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workerExecArgv } from './primary.ts';

describe("workers' Node.js flags", () => {
  it('cap the young generation at 16 MB a semi-space on Node 22 and later, after the primary’s own flags', () => {
    assert.deepEqual(workerExecArgv(['--enable-source-maps'], undefined, '24.21.0'), ['--enable-source-maps', '--max-semi-space-size=16']);
    assert.deepEqual(workerExecArgv([], '', '22.1.0'), ['--max-semi-space-size=16']);
  });

  it('leave Node 20 as it is, and never override a semi-space size the operator chose', () => {
    assert.deepEqual(workerExecArgv(['--inspect'], undefined, '20.20.2'), ['--inspect']);
    assert.deepEqual(workerExecArgv(['--max-semi-space-size=4'], undefined, '24.21.0'), ['--max-semi-space-size=4']);
    assert.deepEqual(workerExecArgv([], '--trace-gc --min-semi-space-size=32', '24.21.0'), []);
    assert.deepEqual(workerExecArgv(['--max_semi_space_size', '8'], undefined, '26.0.0'), ['--max_semi_space_size', '8']);
  });
});
