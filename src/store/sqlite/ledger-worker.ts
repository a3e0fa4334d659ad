import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openConnection } from './driver.ts';
import { prepareLedgerInsert } from './ledger-rows.ts';
import type { LedgerThreadData, LedgerThreadReply, LedgerThreadRequest } from './ledger-thread.ts';

/**
 * The ledger writer thread (./ledger-thread.ts): its own connection to the database file, which
 * inserts the batches it is sent, one transaction each, and answers each with its outcome.
 */

const port = parentPort!;
const { path } = workerData as LedgerThreadData;
// A connection of its own, with the main connection's settings (they are per connection).
const database = openConnection(path);
const insert = prepareLedgerInsert(database);

if (process.platform === 'linux') {
  // On Linux a nice value belongs to the calling thread (man 2 setpriority, NOTES), so this lowers
  // only this one: on a saturated core the event loop gets 75% while a batch is written, not
  // half. Not lower: at nice 10 (a 10% share) the thread fell behind a core saturated with
  // requests (ADR 0011). Elsewhere it would lower the whole process, so it is not done.
  try {
    setPriority(5);
  } catch {
    // Not permitted here: the thread runs at the process's priority.
  }
}

port.on('message', (request: LedgerThreadRequest) => {
  if (request.kind === 'close') {
    database.close();
    port.close();
    return;
  }
  let reply: LedgerThreadReply;
  try {
    insert.lines(splitLines(Buffer.from(request.bytes, 0, request.length)));
    reply = { id: request.id, bytes: request.bytes };
  } catch (error) {
    const failure = error as Error & { code?: unknown };
    reply = { id: request.id, bytes: request.bytes, error: { message: failure.message, ...(typeof failure.code === 'string' ? { code: failure.code } : {}) } };
  }
  // The buffer goes back to carry the next batch.
  port.postMessage(reply, [request.bytes]);
});

/** The batch's lines, decoded one by one: one string of the whole batch would cost page faults. */
function splitLines(bytes: Buffer): string[] {
  const lines: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    lines.push(bytes.toString('utf8', start, end));
    start = end + 1;
  }
  return lines;
}
