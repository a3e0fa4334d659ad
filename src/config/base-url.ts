/**
 * What a provider's base_url must not hold: user:password@, a query string or a fragment (the
 * config's `baseUrl`, src/config/schema.ts, explains why). Apart from zod, so that the SQLite
 * migration that cleans values stored before these were refused (src/store/sqlite/migrations.ts)
 * applies the same rule. Undefined for a URL that does not parse: the caller reports that.
 */
export function baseUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined; // z.url() reports it.
  }
  // `http://@host` has an empty user name, but still an "@" before the host.
  if (url.username || url.password || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value)) {
    return 'must not hold a user name or password (user:password@): put credentials in api_key or headers';
  }
  if (value.split('#')[0]!.includes('?')) {
    return 'must not have a query string (?…): put credentials in api_key or headers, and settings in their own fields (e.g. api_version)';
  }
  if (value.includes('#')) return 'must not have a fragment (#…)';
  return undefined;
}
