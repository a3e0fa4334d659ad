/**
 * What is wrong with a `storage.url` (after DATABASE_URL), or undefined for one this build
 * opens: `sqlite://path`, `sqlite://:memory:`, `:memory:`, or `postgres://…` (`postgresql://…`).
 * Apart from the store, so that config validation lists it with the config's other problems
 * (../shared/SPEC.md) while src/store/open.ts keeps the same rule. The message never quotes the
 * URL, which may hold a password; a scheme alone is named.
 */
export function storageUrlProblem(url: string): string | undefined {
  if (url === ':memory:' || url.startsWith('sqlite://')) return undefined;
  if (isPostgresUrl(url)) {
    if (!URL.canParse(url) || new URL(url).hostname === '') {
      return 'not a PostgreSQL URL (postgres://user:password@host:5432/database)';
    }
    return undefined;
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  return scheme
    ? `unsupported URL scheme "${scheme}:" (use sqlite://path or postgres://user@host/database)`
    : 'not a storage URL (use sqlite://path, e.g. sqlite://./switchboard.db, or postgres://user@host/database)';
}

/** Whether a storage URL names a PostgreSQL database. */
export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

/**
 * A storage URL as it may be shown (start banner, errors): for PostgreSQL the user, host, port
 * and database, never the password nor the query's parameters (`?password=` may carry one).
 */
export function describeStorageUrl(url: string): string {
  if (!isPostgresUrl(url)) return url;
  if (!URL.canParse(url)) return 'postgres://…';
  const parsed = new URL(url);
  const user = parsed.username ? `${parsed.username}${parsed.password ? ':***' : ''}@` : '';
  return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`;
}

/** What is wrong with a `storage.redis` URL (after REDIS_URL), or undefined: `redis://…` or `rediss://…` (TLS). */
export function redisUrlProblem(url: string): string | undefined {
  if (!/^rediss?:\/\//.test(url) || !URL.canParse(url) || new URL(url).hostname === '') {
    return 'not a Redis URL (redis://host:6379, redis://:password@host:6379/0, or rediss:// for TLS)';
  }
  return undefined;
}

/** A Redis URL as it may be shown: without its password. */
export function describeRedisUrl(url: string): string {
  if (!URL.canParse(url)) return 'redis://…';
  const parsed = new URL(url);
  const user = parsed.username || parsed.password ? `${parsed.username}${parsed.password ? ':***' : ''}@` : '';
  return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}
