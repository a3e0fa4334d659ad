import type { LedgerStore } from '../../src/core/stores.ts';

/** The most rows a ledger query returns (src/store/sqlite/index.ts clamps `limit` to it). */
const pageSize = 10_000;

/**
 * The ids of every row of a ledger. A query returns 10,000 rows at most, newest first: the fuzz
 * run read only the latest 10,000 and reported the billable cases before them as having no row
 * (a run of over 60,000 cases, a long --time-limit). So page back in time, each page up to and
 * including the millisecond the last one ended in, as a page may end within a millisecond's rows.
 */
export async function allLedgerIds(ledger: Pick<LedgerStore, 'query'>): Promise<string[]> {
  const ids = new Set<string>();
  let to: string | undefined;
  for (;;) {
    const rows = await ledger.query({ limit: pageSize, ...(to !== undefined ? { to } : {}) });
    for (const row of rows) ids.add(row.id);
    const oldest = rows.at(-1)?.time;
    if (rows.length < pageSize || oldest === undefined) return [...ids];
    const next = new Date(Date.parse(oldest) + 1).toISOString();
    if (next === to) throw new Error(`More than ${pageSize} ledger rows in the millisecond before ${to}.`);
    to = next;
  }
}
