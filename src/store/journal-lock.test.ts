import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { claimJournalLocks } from './journal-lock.ts';

describe('journal locks', () => {
  it('gives each live instance on a database its own number, and lets another take over a released one', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-journal-lock-'));
    try {
      const database = join(directory, 'switchboard.db');
      const first = claimJournalLocks(database);
      const second = claimJournalLocks(database);
      assert.deepEqual([first.instance, second.instance], [1, 2]);
      let ran = false;
      assert.equal(await second.ifUnowned(1, async () => void (ran = true)), false, 'instance 1 is held');
      assert.equal(ran, false);
      first.release();
      assert.equal(await second.ifUnowned(1, async () => void (ran = true)), true, 'its owner is gone');
      assert.equal(ran, true);
      const third = claimJournalLocks(database);
      assert.equal(third.instance, 1, 'the first free number is taken again');
      second.release();
      third.release();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
