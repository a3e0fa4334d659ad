import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ledgerRow } from '../../../test/helpers/ledger-row.ts';
import { openSqliteStorage } from './index.ts';
import { WalFlusher, type WalFlusherFiles } from './wal-flusher.ts';

/** Files whose calls are recorded and finish only when the test says so. */
function heldFiles(openError?: NodeJS.ErrnoException) {
  const calls: string[] = [];
  const pending: Array<() => void> = [];
  const files: WalFlusherFiles = {
    open(path, _flags, callback) {
      calls.push(`open ${path}`);
      pending.push(() => (openError ? callback(openError, -1) : callback(null, 7)));
    },
    fdatasync(fd, callback) {
      calls.push(`fdatasync ${fd}`);
      pending.push(() => callback(null));
    },
    close(fd, callback) {
      calls.push(`close ${fd}`);
      callback(null);
    },
  };
  return {
    files,
    calls,
    /** Finishes the calls in flight (an open may start a flush: that one stays in flight). */
    finish() {
      for (const done of pending.splice(0)) done();
    },
    flushes: () => calls.filter((call) => call.startsWith('fdatasync')).length,
  };
}

describe('WAL flusher', () => {
  it('flushes at once, then at most once an interval however often the log is written, and not when it is not', async () => {
    const held = heldFiles();
    const flusher = new WalFlusher('/db/ledger.db-wal', { intervalMs: 200, files: held.files });
    flusher.written();
    assert.deepEqual(held.calls, ['open /db/ledger.db-wal'], 'the log is opened at the first write');
    held.finish();
    assert.equal(held.flushes(), 1, 'flushed once open');
    for (let index = 0; index < 5; index += 1) flusher.written();
    assert.equal(held.flushes(), 1, 'no second flush while one is in flight');
    held.finish();
    assert.equal(held.flushes(), 1, 'written during the flush: the next waits for the interval');
    await sleep(450);
    assert.equal(held.flushes(), 2, 'one flush for the five writes, once the interval passed');
    held.finish();
    await sleep(450);
    assert.equal(held.flushes(), 2, 'nothing written since: no flush');
    flusher.written();
    assert.equal(held.flushes(), 3, 'written after a quiet interval: flushed at once');
    held.finish();
    await flusher.close();
    assert.equal(held.calls.at(-1), 'close 7');
  });

  it('closes once the flush in flight has ended, and flushes nothing after', async () => {
    const held = heldFiles();
    const flusher = new WalFlusher('/db/ledger.db-wal', { intervalMs: 10, files: held.files });
    flusher.written();
    held.finish();
    assert.equal(held.flushes(), 1);
    let closed = false;
    const closing = flusher.close().then(() => (closed = true));
    await sleep(20);
    assert.equal(closed, false, 'close waits for the flush in flight');
    assert.ok(!held.calls.includes('close 7'), 'the descriptor is not closed under a flush');
    held.finish();
    await closing;
    assert.equal(held.calls.at(-1), 'close 7');
    flusher.written();
    await sleep(30);
    assert.equal(held.flushes(), 1, 'nothing flushed after close');
  });

  it('leaves a log it cannot open to SQLite, and tries again at a later write', async () => {
    const held = heldFiles(Object.assign(new Error('no such file'), { code: 'ENOENT' }));
    const flusher = new WalFlusher('/db/ledger.db-wal', { intervalMs: 10, files: held.files });
    flusher.written();
    held.finish();
    assert.equal(held.flushes(), 0);
    await sleep(30);
    flusher.written();
    assert.equal(held.calls.filter((call) => call.startsWith('open')).length, 2, 'opened again');
    held.finish();
    await flusher.close();
    assert.ok(!held.calls.some((call) => call.startsWith('close')), 'no descriptor to close');
  });
});

describe('SQLite storage without a ledger thread', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchboard-wal-flusher-'));
  });
  after(() => rm(directory, { recursive: true, force: true }));

  /** This process's descriptors open on `path` (Linux). */
  const descriptorsOn = (path: string) =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false;
      }
    }).length;

  it('flushes the log of the batches it commits on the event loop through a descriptor of its own, closed with the storage', { skip: process.platform !== 'linux' && 'reads /proc/self/fd' }, async () => {
    const path = join(directory, 'loop.db');
    const storage = await openSqliteStorage(path, { ledgerThread: false });
    const sqlites = descriptorsOn(`${path}-wal`);
    assert.equal(sqlites, 1, "SQLite's own descriptor of the log");
    await storage.ledger.append([ledgerRow('first')]);
    // The open runs on libuv's thread pool.
    for (let tries = 0; tries < 50 && descriptorsOn(`${path}-wal`) === sqlites; tries += 1) await sleep(10);
    assert.equal(descriptorsOn(`${path}-wal`), sqlites + 1, 'a descriptor of its own, for the flushes');
    await storage.ledger.append([ledgerRow('second')]);
    assert.deepEqual((await storage.ledger.query({ limit: 10 })).map((row) => row.id).sort(), ['first', 'second']);
    await storage.close();
    assert.equal(descriptorsOn(`${path}-wal`), 0, 'closed with the storage');
  });
});
