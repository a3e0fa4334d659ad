import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileRowJournal } from './journal.ts';
import { readLines } from './line-file.ts';

let directory: string;
before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'switchboard-journal-'));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

const lines = (base: string, segment: 'a' | 'b') => readLines(`${base}-ledger-${segment}.jsonl`) ?? [];

// Both ways lines reach the files (src/ledger/line-file.ts): mapped (this machine's ext4), and write(2).
for (const writes of ['auto', 'written'] as const) {
  describe(`row journal: the lines of a turn written at once (ADR 0011, sixteenth-session addition), ${writes}`, () => {
    it('holds lines given a callback until endTurn, writes them together, then calls back in order', () => {
      const base = join(directory, `turn-${writes}`);
      const journal = new FileRowJournal(base, 'ledger', writes);
      const seen: Array<{ id: string; error: unknown; inFile: string[] }> = [];
      const written = (id: string) => (error?: unknown) => seen.push({ id, error, inFile: lines(base, 'a') });
      assert.equal(journal.append('{"id":"r1"}', written('r1')), 0);
      journal.append('{"id":"r2"}', written('r2'));
      assert.deepEqual(lines(base, 'a'), [], 'a line went out before the end of the turn');
      assert.deepEqual(seen, [], 'a caller was told before its line was written');
      assert.equal(journal.uncommitted, 2);
      journal.endTurn();
      // The first caller already finds the second line: one write for both, before anyone is told.
      assert.deepEqual(seen, [
        { id: 'r1', error: undefined, inFile: ['{"id":"r1"}', '{"id":"r2"}'] },
        { id: 'r2', error: undefined, inFile: ['{"id":"r1"}', '{"id":"r2"}'] },
      ]);
      journal.endTurn();
      assert.equal(seen.length, 2, 'a caller was told twice');
      journal.committed([0, 0]);
      assert.deepEqual(lines(base, 'a'), [], 'the segment was not emptied once its rows were committed');
      journal.close();
    });

    it('writes a line without a callback at once, with the lines buffered before it, and leaves their callers to endTurn', () => {
      const base = join(directory, `mixed-${writes}`);
      const journal = new FileRowJournal(base, 'ledger', writes);
      let told = 0;
      journal.append('{"id":"r1"}', () => (told += 1));
      journal.append('{"id":"r2"}');
      assert.deepEqual(lines(base, 'a'), ['{"id":"r1"}', '{"id":"r2"}']);
      assert.equal(told, 0, 'a caller was told outside endTurn');
      journal.endTurn();
      assert.equal(told, 1);
      assert.deepEqual(lines(base, 'a'), ['{"id":"r1"}', '{"id":"r2"}'], 'a line was written twice');
      journal.close();
    });

    it('writes the buffered lines before it rotates, to the segment they were counted in, and tells their callers at endTurn', () => {
      const base = join(directory, `rotate-${writes}`);
      const journal = new FileRowJournal(base, 'ledger', writes);
      let told = 0;
      assert.equal(journal.append('{"id":"r1"}', () => (told += 1)), 0);
      journal.rotate();
      assert.deepEqual(lines(base, 'a'), ['{"id":"r1"}']);
      assert.equal(told, 0, 'rotate ran a caller inside the writer');
      assert.equal(journal.append('{"id":"r2"}', () => (told += 1)), 1, 'new rows go to the other segment while a batch is written');
      journal.rotate();
      assert.deepEqual(lines(base, 'b'), ['{"id":"r2"}']);
      assert.equal(journal.append('{"id":"r3"}', () => (told += 1)), 1, 'rotated back to a segment with an uncommitted row');
      journal.close();
      assert.equal(told, 3, 'close did not tell the callers of the last lines');
      assert.deepEqual(lines(base, 'a'), ['{"id":"r1"}']);
      assert.deepEqual(lines(base, 'b'), ['{"id":"r2"}', '{"id":"r3"}']);
    });

    it('gives each caller the error when the write fails, and keeps the lines counted until committed', () => {
      const base = join(directory, `full-${writes}`);
      // Every write to /dev/full fails with ENOSPC, as a full disk would.
      symlinkSync('/dev/full', `${base}-ledger-a.jsonl`);
      symlinkSync('/dev/full', `${base}-ledger-b.jsonl`);
      const journal = new FileRowJournal(base, 'ledger', writes);
      const errors: unknown[] = [];
      journal.append('{"id":"r1"}', (error) => errors.push(error));
      journal.append('{"id":"r2"}', (error) => errors.push(error));
      journal.endTurn();
      assert.equal(errors.length, 2);
      for (const error of errors) assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
      assert.equal(journal.uncommitted, 2, 'the writer still holds these rows and will commit them');
      // An immediate write still throws, and the buffered line that would have gone with it fails too.
      journal.append('{"id":"r3"}', (error) => errors.push(error));
      assert.throws(() => journal.append('{"id":"r4"}'), { code: 'ENOSPC' });
      journal.endTurn();
      assert.equal((errors[2] as NodeJS.ErrnoException).code, 'ENOSPC');
      journal.close();
    });

    it('tells every caller even when one throws, then throws the first error', () => {
      const journal = new FileRowJournal(join(directory, `throws-${writes}`), 'ledger', writes);
      const told: string[] = [];
      journal.append('{"id":"r1"}', () => {
        told.push('r1');
        throw new Error('first');
      });
      journal.append('{"id":"r2"}', () => {
        told.push('r2');
        throw new Error('second');
      });
      journal.append('{"id":"r3"}', () => told.push('r3'));
      assert.throws(() => journal.endTurn(), /first/);
      assert.deepEqual(told, ['r1', 'r2', 'r3']);
      journal.close();
    });
  });
}
