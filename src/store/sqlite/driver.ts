import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);
const major = Number(process.versions.node.split('.')[0]);

/**
 * The better-sqlite3 build for this Node.js. Version 13 is a Node-API addon with prebuilt
 * binaries in its package; it needs Node 22 or newer (on 20 it crashes). Version 12 builds from
 * source, and its legacy node::ObjectWrap classes abort the process on Node >= 24.19, whose
 * ObjectWrap removes a cleanup hook in the destructor that a background GC cannot satisfy
 * (WiseLibs/better-sqlite3#1515). So: 13 (installed as `better-sqlite3-napi`) from Node 22 on,
 * 12 on Node 20. Both expose the same API. See docs/decisions/0002-libraries.md.
 */
export const Database: typeof BetterSqlite3 = major >= 22 ? require('better-sqlite3-napi') : require('better-sqlite3');


/**
 * A connection to the database at `path` with the gateway's settings: 16 KB pages for a new file
 * (below), WAL (readers do not block the writer; persistent in the file, a no-op once set),
 * `synchronous = NORMAL` (no fsync per commit in WAL mode) and a 5 s `busy_timeout` (another
 * connection's transaction is waited for). The settings but the page size and WAL are per
 * connection, so the ledger writer thread's connection opens here too.
 */
export function openConnection(path: string): BetterSqlite3.Database {
  const database = new Database(path);
  // A ledger batch of 50 rows is a commit that writes each page it changed to the WAL, two
  // pwrite(2)s a page (frame header, page), and the right-hand pages of the table and of its
  // time-ordered indexes change in every batch: with 16 KB pages a batch makes half the system
  // calls (21 pwrite(2)s instead of 42, 2 reads instead of 7) for twice the WAL bytes, and on
  // one core the p99 at c=1 came 0.3-0.6 ms lower (docs/performance.md, twenty-eighth session).
  // Taken by a new database only (https://sqlite.org/pragma.html#pragma_page_size: before its
  // first table, and a WAL database cannot change it): an existing file keeps its page size.
  database.pragma('page_size = 16384');
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  // better-sqlite3 builds SQLite with a 16 MB page cache a connection (its deps/defines.gypi:
  // SQLITE_DEFAULT_CACHE_SIZE=-16000), which the ledger's inserts fill within seconds: 20 MB of
  // a worker's RSS. SQLite's own default of 2 MB holds the pages inserts touch (the right edges
  // of the time-ordered indexes); the file stays in the OS page cache for the rest.
  database.pragma('cache_size = -2000');
  return database;
}
