import type { IncomingMessage } from 'node:http';
import type { RequestRecord } from '../ledger/request-record.ts';

const recordKey = Symbol('switchboard.requestRecord');

type Marked = IncomingMessage & { [recordKey]?: RequestRecord };

/**
 * Keeps an API request's ledger record on its IncomingMessage, so that a refusal Node's HTTP
 * parser makes in the middle of that request (a malformed chunked body, the request timeout)
 * finishes this row, with the status the client is answered (src/server/client-error.ts), rather
 * than a second row beside it.
 */
export function attachRecord(request: IncomingMessage, record: RequestRecord): void {
  (request as Marked)[recordKey] = record;
}

/** The ledger record `attachRecord` kept on `request`, if any. */
export function recordOf(request: IncomingMessage): RequestRecord | undefined {
  return (request as Marked)[recordKey];
}
