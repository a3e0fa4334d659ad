import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wantsLedgerThread } from './open.ts';

describe('the ledger writer thread (wantsLedgerThread)', () => {
  it('runs only where the processes serving the port leave a core free', () => {
    // One process pinned to one core, or a 1-vCPU container: batches on the event loop.
    assert.equal(wantsLedgerThread(1, 1), false);
    // One process on two cores: the thread has the second one.
    assert.equal(wantsLedgerThread(2, 1), true);
    // --workers N with a worker per core (the default): no core left, no thread in any worker.
    assert.equal(wantsLedgerThread(2, 2), false);
    assert.equal(wantsLedgerThread(8, 8), false);
    // More workers than cores: none either; fewer: each worker has one.
    assert.equal(wantsLedgerThread(2, 4), false);
    assert.equal(wantsLedgerThread(8, 4), true);
  });
});
