import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { LedgerRow } from '../core/ledger.ts';
import type { LedgerStore } from '../core/stores.ts';
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
    const writer = new LedgerWriter(slowStore(written, 1, 1), { onFailure: (_error, rows) => failures.push(rows), intervalMs: 10_000 });
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
});
