import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ledgerRow } from '../../../test/helpers/ledger-row.ts';
import { Database } from './driver.ts';
import { openSqliteStorage } from './index.ts';

describe('SQLite ledger writer thread', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchboard-ledger-thread-'));
  });
  after(() => rm(directory, { recursive: true, force: true }));

  it('writes serialised rows from its own connection; they read back equal once the write resolves', async () => {
    const storage = await openSqliteStorage(join(directory, 'equal.db'), { ledgerThread: true });
    assert.ok(storage.ledger.appendSerialized, 'a file database with a thread takes serialised rows');
    const rows = [
      ledgerRow('plain'),
      // Text that UTF-8 and JSON must carry exactly: newlines and quotes, three-byte and four-byte characters.
      ledgerRow('text', { errorMessage: 'line one\nline "two"\u2028 — 日本語 😀', metadata: { note: 'tab\there' }, warnings: [{ type: 'other', message: 'é' }] }),
      ledgerRow('numbers', { costUsd: 0.1 + 0.2, ttftMs: 7, tokensEstimated: true, stream: true }),
    ];
    await storage.ledger.appendSerialized(rows.map((row) => JSON.stringify(row)));
    const stored = new Map((await storage.ledger.query({ limit: 10 })).map((row) => [row.id, row]));
    for (const row of rows) assert.deepEqual(stored.get(row.id), row);
    await storage.close();
  });

  it('writes a batch larger than its buffer, every row', async () => {
    const storage = await openSqliteStorage(join(directory, 'large.db'), { ledgerThread: true });
    // About 3 MB of three-byte characters: more than the first 1 MB buffer holds.
    const rows = Array.from({ length: 300 }, (_, index) => ledgerRow(`large-${index}`, { errorMessage: '語'.repeat(3_000) }));
    await storage.ledger.appendSerialized!(rows.map((row) => JSON.stringify(row)));
    await storage.ledger.appendSerialized!([JSON.stringify(ledgerRow('after'))]);
    const stored = await storage.ledger.query({ limit: 1_000 });
    assert.equal(stored.length, 301);
    assert.equal(stored.find((row) => row.id === 'large-299')?.errorMessage, '語'.repeat(3_000));
    await storage.close();
  });

  it('rejects a batch the database refuses with its message, writes none of it, and writes again once it can', async () => {
    const path = join(directory, 'refused.db');
    const storage = await openSqliteStorage(path, { ledgerThread: true });
    const other = new Database(path);
    other.exec("CREATE TRIGGER refuse BEFORE INSERT ON ledger WHEN NEW.id = 'second' BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;");
    const batch = ['first', 'second'].map((id) => JSON.stringify(ledgerRow(id)));
    await assert.rejects(storage.ledger.appendSerialized!(batch), /database or disk is full/);
    assert.deepEqual(await storage.ledger.query({}), [], 'the batch is one transaction');
    other.exec('DROP TRIGGER refuse');
    other.close();
    await storage.ledger.appendSerialized!(batch);
    assert.deepEqual((await storage.ledger.query({})).map((row) => row.id).sort(), ['first', 'second']);
    await storage.close();
    await assert.rejects(storage.ledger.appendSerialized!(batch), /closed/);
  });

  it('has no thread for :memory: (another connection could not see it), and rows go in as objects', async () => {
    const storage = await openSqliteStorage(':memory:', { ledgerThread: true });
    assert.equal(storage.ledger.appendSerialized, undefined);
    await storage.ledger.append([ledgerRow('memory')]);
    assert.equal((await storage.ledger.query({}))[0]?.id, 'memory');
    await storage.close();
  });
});
