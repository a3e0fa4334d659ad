import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openConnection } from './driver.ts';

describe('SQLite connection settings', () => {
  it('caps the page cache at SQLite’s own 2 MB, not better-sqlite3’s 16 MB build default, with WAL and NORMAL sync', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-driver-'));
    try {
      const database = openConnection(join(directory, 'settings.db'));
      // Negative: KiB, not pages (https://sqlite.org/pragma.html#pragma_cache_size).
      assert.equal(database.pragma('cache_size', { simple: true }), -2000);
      assert.equal(database.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(database.pragma('synchronous', { simple: true }), 1);
      database.close();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
