/** A header value as Node and Fastify hold them. */
type HeaderValue = string | number | readonly string[] | undefined;

/**
 * Headers as the flat list of names and values `response.writeHead` takes, from header objects
 * in order (a name given twice is sent twice: callers give each once). Not one object merged
 * from the others with spreads: on Node 20 (V8 11.3) such a literal takes a slow path, about 1-2
 * µs, and its result is freed only by a major collection; merged per answer, it doubled what
 * reached the old generation (docs/performance.md, eleventh session).
 */
export function headerList(...sources: ReadonlyArray<Readonly<Record<string, HeaderValue>>>): string[] {
  const list: string[] = [];
  for (const source of sources) {
    for (const name in source) {
      const value = source[name];
      if (value === undefined) continue;
      if (typeof value === 'object') for (const item of value) list.push(name, item);
      else list.push(name, String(value));
    }
  }
  return list;
}
