import { randomUUID } from 'node:crypto';
import { formatForPath } from './ingress-format.ts';

/**
 * A request id: `req_` and 32 hex digits, the first 12 the time in milliseconds, the other 20
 * random (80 bits), so ids sort by when requests arrived, as UUIDv7 and ULID do (RFC 9562 §5.7).
 * The id is the ledger row's primary key: random keys land all over the key's B-tree, and the
 * insert cost grows with the table (bench/ledger-keys.ts, SQLite, 400,000 rows in batches of 200:
 * 22 → 37 µs per row for random ids, a flat 12-15 µs for time-ordered ones; docs/performance.md).
 */
export function newRequestId(now = Date.now()): string {
  const random = randomUUID();
  // 8 + 12 hex digits of a v4 UUID with no version or variant bits among them.
  return `req_${now.toString(16).padStart(12, '0')}${random.slice(0, 8)}${random.slice(24)}`;
}

/**
 * The headers that name a request's id in an answer: `x-request-id`, and on /v1/messages also
 * `request-id`, where Anthropic's SDKs read it (APIError.requestID), on errors too. As a flat
 * list of names and values (ServerResponse.writeHead's raw form).
 */
export function requestIdHeaders(path: string, requestId: string): string[] {
  return formatForPath(path) === 'anthropic' ? ['x-request-id', requestId, 'request-id', requestId] : ['x-request-id', requestId];
}
