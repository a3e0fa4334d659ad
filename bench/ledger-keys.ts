/**
 * What the order of ledger keys costs SQLite (src/server/request-id.ts): rows inserted in batches
 * of 200, as the ledger writer does, into a ledger table that grows to BENCH_ROWS (400,000), once
 * with random ids (`req_` + a v4 UUID, the gateway's ids before) and once with time-ordered ones
 * (the gateway's ids now). Prints the main thread's CPU per row for each 100,000 rows. Run alone:
 * `node --import tsx bench/ledger-keys.ts` (about a minute).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newRequestId } from '../src/server/request-id.ts';
import { openSqliteStorage } from '../src/store/sqlite/index.ts';
import { prepareLedgerInsert } from '../src/store/sqlite/ledger-rows.ts';
import { ledgerRow } from '../test/helpers/ledger-row.ts';

const total = Number(process.env.BENCH_ROWS ?? 400_000);
const batch = 200;
const window = 100_000;

const orders: Record<string, (index: number) => string> = {
  random: () => `req_${randomUUID().replaceAll('-', '')}`,
  'time-ordered': (index) => newRequestId(1_760_000_000_000 + Math.floor(index / 10)),
};

for (const [order, id] of Object.entries(orders)) {
  const directory = await mkdtemp(join(tmpdir(), 'switchboard-keys-'));
  const storage = await openSqliteStorage(join(directory, 'ledger.db'));
  const insert = prepareLedgerInsert(storage.database);
  let spent = 0;
  for (let done = 0; done < total; done += batch) {
    const rows = Array.from({ length: batch }, (_, offset) => ledgerRow(id(done + offset)));
    const started = process.cpuUsage();
    insert.rows(rows);
    const used = process.cpuUsage(started);
    spent += used.user + used.system;
    if ((done + batch) % window === 0) {
      console.log(`${order.padEnd(13)} rows ${String(done + batch - window + 1).padStart(7)}-${String(done + batch).padEnd(7)} ${(spent / window).toFixed(1).padStart(6)} µs per row`);
      spent = 0;
    }
  }
  await storage.close?.();
  await rm(directory, { recursive: true, force: true });
}
