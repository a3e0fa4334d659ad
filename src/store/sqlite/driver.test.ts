import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Database, openConnection } from './driver.ts';

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

  it('makes a new database with 16 KB pages, and leaves an existing one at the size it was made with', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchboard-driver-'));
    try {
      const fresh = openConnection(join(directory, 'new.db'));
      fresh.exec('CREATE TABLE t (x)');
      assert.equal(fresh.pragma('page_size', { simple: true }), 16384);
      fresh.close();
      // A file made before (SQLite's default 4 KB pages, WAL), with a row in it.
      const earlier = new Database(join(directory, 'earlier.db'));
      earlier.pragma('journal_mode = WAL');
      earlier.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('kept')");
      earlier.close();
      const reopened = openConnection(join(directory, 'earlier.db'));
      assert.equal(reopened.pragma('page_size', { simple: true }), 4096);
      reopened.exec("INSERT INTO t VALUES ('added')");
      assert.deepEqual(reopened.prepare('SELECT x FROM t ORDER BY rowid').pluck().all(), ['kept', 'added']);
      reopened.close();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
