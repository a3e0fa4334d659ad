/**
 * What is wrong with a `storage.url` (after DATABASE_URL), or undefined for one this build
 * opens: `sqlite://path`, `sqlite://:memory:` or `:memory:`. Apart from the store, so that config
 * validation lists it with the config's other problems (../shared/SPEC.md) while
 * src/store/open.ts keeps the same rule. The message never quotes the URL, which may hold a
 * password; a scheme alone is named.
 */
export function storageUrlProblem(url: string): string | undefined {
  if (url === ':memory:' || url.startsWith('sqlite://')) return undefined;
  // ../shared/SPEC.md names postgres:// as a storage URL; its backend is not built yet.
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return 'the PostgreSQL backend is not part of this build yet; use sqlite://path';
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  return scheme ? `unsupported URL scheme "${scheme}:" (use sqlite://path)` : 'not a storage URL (use sqlite://path, e.g. sqlite://./switchboard.db)';
}
