import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isPostgresUrl } from '../config/storage-url.ts';

/**
 * Where the ledger's crash journals and their instance locks are kept (src/ledger/journal.ts,
 * src/store/journal-lock.ts): the base path their file names start with, or undefined for
 * a database in memory, which does not outlive the process either.
 *
 * - `sqlite://path`: next to the database file, as before (`<file>-ledger-a.jsonl`, ...).
 * - `postgres://…`: on this machine's disk, since the journal must survive what the database
 *   connection does not (a crash, the database unreachable): in `SWITCHBOARD_JOURNAL_DIR`, else
 *   `./.switchboard`, under a name of the server and database (`postgres-db.internal-5432-app-
 *   1a2b3c4d-ledger-a.jsonl`). The hash tells apart URLs to one database with other users or
 *   parameters (another `search_path`), so one's rows are never replayed into the other's; the
 *   password is left out of it, so a rotated password keeps the journals.
 */
export async function journalLocation(url: string, environment: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (isPostgresUrl(url)) {
    const folder = resolve(environment.SWITCHBOARD_JOURNAL_DIR || '.switchboard');
    await mkdir(folder, { recursive: true });
    return join(folder, postgresJournalName(url));
  }
  if (!url.startsWith('sqlite://')) return undefined;
  const path = url.slice('sqlite://'.length);
  return path === ':memory:' ? undefined : path;
}

/** The journals' base name for a PostgreSQL database: host, port, database, and a hash of the rest. */
export function postgresJournalName(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  parsed.searchParams.delete('password');
  const database = decodeURIComponent(parsed.pathname.slice(1)) || 'postgres';
  const hash = createHash('sha256').update(parsed.href).digest('hex').slice(0, 8);
  const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, '_');
  return `postgres-${safe(parsed.hostname)}-${parsed.port || '5432'}-${safe(database)}-${hash}`;
}
