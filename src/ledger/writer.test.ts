import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { LedgerRow } from '../core/ledger.ts';
import type { LedgerStore } from '../core/stores.ts';
import { ledgerRow } from '../../test/helpers/ledger-row.ts';
import { FileRowJournal, readJournal } from './journal.ts';
import { readLines } from './line-file.ts';
import { LedgerWriter } from './writer.ts';

/** A store whose writes take time, like a remote database would. */
function slowStore(written: LedgerRow[], delayMs: number, failures = 0): LedgerStore {
  let failing = failures;
  return {
    async append(rows) {
      await sleep(delayMs);
      if (failing-- > 0) throw new Error('database busy');
      written.push(...rows);
    },
    query: async () => [],
    summary: async () => [],
    costSince: async () => 0,
  };
}

const row = (id: string) => ({ id }) as LedgerRow;

describe('ledger writer', () => {
  it('returns from every concurrent flush only once the rows queued before it are written', async () => {
    const written: LedgerRow[] = [];
    const writer = new LedgerWriter(slowStore(written, 20), { onFailure: () => undefined, intervalMs: 10_000 });
    writer.append(row('a'));
    const first = writer.flush();
    writer.append(row('b'));
    const second = writer.flush();
    const third = writer.flush();
    await third;
    assert.deepEqual(written.map((entry) => entry.id), ['a', 'b']);
    await Promise.all([first, second]);
    await writer.close();
  });

  it('keeps a failed batch and writes it with the next one; close writes everything', async () => {
    const written: LedgerRow[] = [];
    const failures: number[] = [];
    const writer = new LedgerWriter(slowStore(written, 1, 1), { onFailure: (_error, details) => failures.push(details.rows), intervalMs: 10_000 });
    for (const id of ['a', 'b', 'c']) writer.append(row(id));
    await writer.flush();
    assert.deepEqual(failures, [3]);
    assert.equal(writer.pending, 3);
    writer.append(row('d'));
    await writer.close();
    assert.deepEqual(written.map((entry) => entry.id), ['a', 'b', 'c', 'd']);
  });

  it('writes in batches off the request path (append never waits)', async () => {
    const written: LedgerRow[] = [];
    const writer = new LedgerWriter(slowStore(written, 5), { onFailure: () => undefined, batchSize: 10, intervalMs: 20 });
    for (let index = 0; index < 25; index += 1) writer.append(row(String(index)));
    assert.equal(written.length, 0, 'append wrote synchronously');
    await sleep(100);
    assert.equal(written.length, 25);
    await writer.close();
  });

  it('starts writing a full batch once the turn ends, not inside the append that filled it', async () => {
    // A store that writes synchronously (SQLite without its thread): an insert started inside
    // `append` would run before the request that appended could send its answer.
    const calls: number[] = [];
    const store: LedgerStore = { ...slowStore([], 0), append: async (rows) => void calls.push(rows.length) };
    const writer = new LedgerWriter(store, { onFailure: () => undefined, batchSize: 3, intervalMs: 10_000 });
    for (let index = 0; index < 4; index += 1) writer.append(row(String(index)));
    assert.deepEqual(calls, [], 'the batch was written inside append');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls, [4], 'one write of what was queued by the end of the turn');
    await writer.close();
  });
});

describe('ledger writer under store failures (issue 13, defect 10)', () => {
  it('reports itself failing, logs failures at a bounded rate, and recovers', async () => {
    const written: LedgerRow[] = [];
    const reports: number[] = [];
    const recovered: number[] = [];
    const writer = new LedgerWriter(slowStore(written, 0, 30), {
      onFailure: (_error, details) => reports.push(details.suppressed),
      onRecovered: (details) => recovered.push(details.failures),
      intervalMs: 1,
      reportEveryMs: 60_000,
    });
    writer.append(row('a'));
    await writer.flush();
    assert.equal(writer.healthy, false, 'a failing store makes the writer unhealthy');
    for (let attempt = 0; attempt < 28; attempt += 1) await writer.flush();
    assert.equal(reports.length, 1, '29 failures in a row are logged once, the rest counted');
    assert.equal(writer.stats().writeFailures, 29);
    assert.equal(writer.pending, 1, 'the row stays queued');
    await writer.flush(); // the 30th failure
    await writer.flush(); // succeeds
    assert.equal(writer.healthy, true);
    assert.deepEqual(recovered, [30]);
    assert.deepEqual(written.map((entry) => entry.id), ['a']);
    await writer.close();
  });

  it('refuses nothing silently when full: rows past the bound are counted as dropped without a journal', async () => {
    const dropped: number[] = [];
    const writer = new LedgerWriter(slowStore([], 0, 1_000), { onFailure: () => undefined, onDropped: (details) => dropped.push(details.dropped), maxQueued: 3, intervalMs: 10_000 });
    for (const id of ['a', 'b', 'c']) writer.append(row(id));
    assert.equal(writer.full, true);
    writer.append(row('d'));
    assert.deepEqual(dropped, [1]);
    assert.equal(writer.stats().dropped, 1);
    await writer.close(10);
    assert.equal(writer.stats().dropped, 4, 'rows unwritten at close without a journal are reported too');
  });
});

describe('ledger journal (issue 13, defect 9)', () => {
  const fullRow = (id: string): LedgerRow => ledgerRow(id, { time: new Date().toISOString(), attempts: [], costUsd: 0.001 });

  it('keeps each row on disk until the store has it, and empties its segments after', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-journal-'));
    const base = join(directory, 'switchboard.db');
    const written: LedgerRow[] = [];
    const writer = new LedgerWriter(slowStore(written, 5), { onFailure: () => undefined, journal: new FileRowJournal(base), intervalMs: 10_000 });
    for (const id of ['a', 'b', 'c']) writer.append(fullRow(id));
    // A crash now (nothing flushed) leaves every row readable.
    assert.deepEqual(readJournal(base).map((entry) => entry.id).sort(), ['a', 'b', 'c']);
    const flushing = writer.flush();
    writer.append(fullRow('d')); // journaled in the other segment while the batch is written
    await flushing;
    assert.deepEqual(readJournal(base).map((entry) => entry.id), ['d'], 'the written batch left the journal');
    await writer.flush();
    assert.deepEqual(readJournal(base), []);
    assert.deepEqual(written.map((entry) => entry.id), ['a', 'b', 'c', 'd']);
    await writer.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('serialises a row once: the journal line is what a store taking serialised rows is given', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-journal-'));
    const base = join(directory, 'switchboard.db');
    const given: string[] = [];
    const store: LedgerStore = {
      ...slowStore([], 0),
      append: async () => assert.fail('rows already serialised must not go through append'),
      appendSerialized: async (lines) => void given.push(...lines),
    };
    const writer = new LedgerWriter(store, { onFailure: () => undefined, journal: new FileRowJournal(base), intervalMs: 10_000 });
    const rows = ['a', 'b'].map(fullRow);
    // Each serialisation reads the row's id once: a getter counts them.
    let serialisations = 0;
    for (const each of rows) {
      const id = each.id;
      Object.defineProperty(each, 'id', { enumerable: true, get: () => ((serialisations += 1), id) });
    }
    for (const each of rows) writer.append(each);
    assert.equal(serialisations, 2, 'one serialisation per row on the request thread');
    const journaled = readLines(`${base}-ledger-a.jsonl`) ?? [];
    await writer.flush();
    assert.deepEqual(given, journaled);
    assert.deepEqual(given.map((line) => JSON.parse(line)), rows);
    await writer.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('serialises a row again when its attempts grew after it was journaled (a hedge lost after the answer)', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-journal-'));
    const given: string[] = [];
    const store: LedgerStore = { ...slowStore([], 0), appendSerialized: async (lines) => void given.push(...lines) };
    const writer = new LedgerWriter(store, { onFailure: () => undefined, journal: new FileRowJournal(join(directory, 'switchboard.db')), intervalMs: 10_000 });
    const hedged = { ...fullRow('hedged'), attempts: [{ model: 'quick', outcome: 'ok' }], warnings: [], guardrails: [] } as unknown as LedgerRow;
    writer.append(hedged);
    hedged.attempts.push({ model: 'slow', outcome: 'aborted' } as LedgerRow['attempts'][number]);
    await writer.flush();
    assert.deepEqual((JSON.parse(given[0]!) as LedgerRow).attempts.map((attempt) => attempt.model), ['quick', 'slow']);
    await writer.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('gives a store that takes objects the rows themselves, journal or not (nothing parsed back)', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-journal-'));
    for (const journal of [undefined, new FileRowJournal(join(directory, 'switchboard.db'))]) {
      const written: LedgerRow[] = [];
      const writer = new LedgerWriter(slowStore(written, 0), { onFailure: () => undefined, intervalMs: 10_000, ...(journal ? { journal } : {}) });
      const first = fullRow('a');
      writer.append(first);
      await writer.flush();
      assert.equal(written[0], first);
      await writer.close();
    }
    await rm(directory, { recursive: true, force: true });
  });

  it('lets an answer go only once its row is journaled: the rows of a turn in one write, their answers, then the batch', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-journal-'));
    const base = join(directory, 'switchboard.db');
    const events: string[] = [];
    const journaled = () => (readLines(`${base}-ledger-a.jsonl`) ?? []).map((line) => (JSON.parse(line) as LedgerRow).id);
    // A store that writes on the loop, as SQLite does without its thread.
    const store: LedgerStore = { ...slowStore([], 0), appendSerialized: async (lines) => void events.push(`store ${lines.length}`) };
    const writer = new LedgerWriter(store, { onFailure: () => undefined, journal: new FileRowJournal(base), batchSize: 2, intervalMs: 10_000 });
    for (const id of ['a', 'b']) writer.append(fullRow(id), () => events.push(`answer ${id}: ${journaled().join(',')}`));
    assert.deepEqual(events, [], 'an answer went before the end of the turn');
    assert.deepEqual(journaled(), [], 'a row was written on its own');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ['answer a: a,b', 'answer b: a,b', 'store 2']);
    await writer.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('lets the answer go at once without a journal, and when its row can only be journaled (after close)', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-journal-'));
    const base = join(directory, 'switchboard.db');
    let answers = 0;
    const plain = new LedgerWriter(slowStore([], 0), { onFailure: () => undefined, intervalMs: 10_000 });
    plain.append(fullRow('a'), () => (answers += 1));
    assert.equal(answers, 1);
    await plain.close();
    const closed = new LedgerWriter(slowStore([], 0), { onFailure: () => undefined, journal: new FileRowJournal(base), intervalMs: 10_000 });
    await closed.close();
    closed.append(fullRow('late'), () => (answers += 1));
    assert.equal(answers, 2);
    await rm(directory, { recursive: true, force: true });
  });

  it('counts a journal write that failed at the end of the turn, still answers, and reports such a row dropped if the store never took it', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-journal-'));
    const base = join(directory, 'switchboard.db');
    // Every write to /dev/full fails with ENOSPC, as a full disk would.
    for (const segment of ['a', 'b']) symlinkSync('/dev/full', `${base}-ledger-${segment}.jsonl`);
    const failures: unknown[] = [];
    const writer = new LedgerWriter(slowStore([], 0, 1_000), { onFailure: (error) => failures.push(error), journal: new FileRowJournal(base), intervalMs: 10_000 });
    let answered = false;
    writer.append(fullRow('a'), () => (answered = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(answered, true);
    assert.equal(writer.stats().journalFailures, 1);
    assert.equal((failures[0] as NodeJS.ErrnoException).code, 'ENOSPC');
    assert.equal(await writer.close(50), 1);
    assert.equal(writer.stats().dropped, 1, 'a row neither in the store nor in the journal was not reported');
    await rm(directory, { recursive: true, force: true });
  });

  it('keeps rows a failing store would not take at shutdown, for the next start', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-journal-'));
    const base = join(directory, 'switchboard.db');
    const writer = new LedgerWriter(slowStore([], 0, 1_000), { onFailure: () => undefined, journal: new FileRowJournal(base), intervalMs: 10_000 });
    for (const id of ['a', 'b']) writer.append(fullRow(id));
    assert.equal(await writer.close(50), 2, 'two rows left unwritten');
    assert.equal(writer.stats().dropped, 0, 'they are in the journal, not dropped');
    assert.deepEqual(readJournal(base).map((entry) => entry.id).sort(), ['a', 'b']);
    await rm(directory, { recursive: true, force: true });
  });
});
