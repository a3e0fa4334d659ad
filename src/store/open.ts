import type { Storage } from '../core/stores.ts';
import { openSqliteStorage } from './sqlite/index.ts';

/** Opens the backend a `storage.url` names: `sqlite://path` (default) or `:memory:`. */
export async function openStorage(url: string): Promise<Storage> {
  if (url === ':memory:' || url === 'sqlite://:memory:') return openSqliteStorage(':memory:');
  if (url.startsWith('sqlite://')) return openSqliteStorage(url.slice('sqlite://'.length));
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    throw new Error('storage.url: the PostgreSQL backend is not part of this build yet; use sqlite://path');
  }
  throw new Error(`storage.url: unsupported URL "${url.replace(/\/\/[^@/]*@/, '//***@')}" (use sqlite://path)`);
}
