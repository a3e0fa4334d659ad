import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openSqliteStorage } from '../../src/store/sqlite/index.ts';
import { ledgerRow } from '../helpers/ledger-row.ts';
import { allLedgerIds } from './ledger-ids.ts';

describe('allLedgerIds (the fuzz run checks every billable case has its row)', () => {
  // A query returns 10,000 rows at most: a long fuzz run reported 11,734 rows missing that were there.
  it('reads past the 10,000 rows one query returns, rows sharing a millisecond across pages included', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-fuzz-ledger-'));
    const storage = await openSqliteStorage(join(directory, 'switchboard.db'));
    try {
      const start = Date.parse('2026-01-02T03:04:05.000Z');
      // 25,000 rows, 7 to a millisecond: pages end within a millisecond's rows.
      const rows = Array.from({ length: 25_000 }, (_, index) => ledgerRow(`req_${index}`, { time: new Date(start + Math.floor(index / 7)).toISOString() }));
      await storage.ledger.append(rows);
      const ids = await allLedgerIds(storage.ledger);
      assert.equal(ids.length, 25_000);
      assert.equal(new Set(ids).size, 25_000);
    } finally {
      await storage.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
