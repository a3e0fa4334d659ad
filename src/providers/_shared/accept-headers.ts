/**
 * A provider's request headers with each `accept` value it sends, each set made once and shared
 * by every call: undici only reads request headers (src/upstream/http-client.ts), so a copy per
 * call was an object made and dropped each time, and, written as a spread literal, the slow path
 * of docs/decisions/0021-no-spread-then-properties-on-the-hot-path.md.
 */
export function headersWithAccept(headers: Readonly<Record<string, string>>): (accept: string) => Record<string, string> {
  const sets = new Map<string, Record<string, string>>();
  return (accept) => {
    let set = sets.get(accept);
    if (set === undefined) {
      set = Object.assign({}, headers, { accept });
      sets.set(accept, set);
    }
    return set;
  };
}
