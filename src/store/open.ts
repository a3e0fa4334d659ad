import type { Storage } from '../core/stores.ts';
import { openSqliteStorage, type SqliteStorageOptions } from './sqlite/index.ts';

/**
 * Opens the backend a `storage.url` names: `sqlite://path` (default) or `:memory:`. A process
 * serving requests asks for `ledgerThread` (ledger batches written beside the event loop).
 */
export async function openStorage(url: string, options: SqliteStorageOptions = {}): Promise<Storage> {
  if (url === ':memory:' || url === 'sqlite://:memory:') return openSqliteStorage(':memory:');
  if (url.startsWith('sqlite://')) return openSqliteStorage(url.slice('sqlite://'.length), options);
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    throw new Error('storage.url: the PostgreSQL backend is not part of this build yet; use sqlite://path');
  }
  throw new Error(`storage.url: unsupported URL "${url.replace(/\/\/[^@/]*@/, '//***@')}" (use sqlite://path)`);
}
