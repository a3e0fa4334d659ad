import type { ServerResponse } from 'node:http';
import type { AbortSignalLike } from '../core/abort.ts';
import type { EventReader } from '../core/stream-event.ts';

/** How a stream's end is recorded when it does not end through its own events. */
export interface StreamEndings {
  /** The caller disconnected before the stream ended. */
  onClientClosed(): void;
  /**
   * The body failed outside the typed events (a formatter or tap fault; upstream failures are
   * error events already): recorded as an error, never as a normal end.
   */
  onFailed(error: unknown): void;
  /**
   * Resolves once the stream's ledger row is in the journal (undefined when it is already):
   * the end of the body waits for it (src/ledger/usage-tap.ts).
   */
  journaled?(): Promise<void> | undefined;
  /**
   * The request's signal (the caller leaving, the drain deadline): a wait for a slow reader ends
   * with it, so the stream takes its error event and its row is finished before the ledger closes.
   */
  interrupted?: AbortSignalLike;
}

/** Past this much text, what was produced is written without waiting for the turn to end. */
const batchLimit = 64 * 1024;

/**
 * Writes a server-sent-event body as it is produced, honouring the socket's backpressure. The
 * headers go with the first piece, at once (it was read before the answer was known to be a
 * success); after it, what is produced in one turn of the event loop goes out as one chunk in one
 * socket write (the events of one upstream chunk together) instead of a chunk and a system call
 * per event; nothing waits longer than that turn. When the caller disconnects, the source is
 * cancelled (which closes the upstream call) and `onClientClosed` records it. `headers`: all the
 * answer's own (the request's x-request-id among them) as a flat list of names and values
 * (src/server/header-list.ts); the stream's content type and cache headers are added here.
 */
export async function sendEventStream(response: ServerResponse, headers: string[], reader: EventReader<string>, endings: StreamEndings): Promise<void> {
  let pending = '';
  let scheduled = false;
  let wrote = false;
  const flush = () => {
    scheduled = false;
    if (response.writableEnded || response.destroyed) return;
    if (pending === '') {
      // Nothing to send with them yet: the headers go alone, so the caller knows the answer started.
      if (!wrote) response.flushHeaders();
      wrote = true;
      return;
    }
    const text = pending;
    pending = '';
    wrote = true;
    response.write(text);
  };
  const flushSoon = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  let clientGone = false;
  response.on('close', () => {
    if (response.writableFinished) return;
    clientGone = true;
    endings.onClientClosed();
    reader.cancel().catch(() => undefined);
  });
  // No `connection` header of ours: Node sets it from the request (`close` when the caller asked
  // for it or spoke HTTP/1.0), where an explicit keep-alive would override the caller's close.
  headers.push('content-type', 'text/event-stream; charset=utf-8', 'cache-control', 'no-cache', 'x-accel-buffering', 'no');
  response.writeHead(200, headers);
  flushSoon();
  try {
    let ended = false;
    while (!ended) {
      const next = await reader.read();
      if (next.done || clientGone) break;
      pending += next.value;
      // What the same upstream chunk produced is ready too: taken now, without a promise per
      // event at each stage (docs/decisions/0016-synchronous-poll.md).
      for (let ready = reader.poll?.(); ready !== undefined; ready = reader.poll?.()) {
        if (ready.done) {
          ended = true;
          break;
        }
        pending += ready.value;
        if (pending.length > batchLimit) break;
      }
      // A body that ended is sent below, by its end. Else the first piece goes at once (with the
      // headers): the caller's time to first token.
      if (ended) break;
      if (!wrote || pending.length > batchLimit) flush();
      else flushSoon();
      if (response.writableNeedDrain) await drainedOrClosed(response, endings.interrupted);
    }
  } catch (error) {
    // The typed stream turns every upstream failure into an error event, so this is a fault of
    // ours after the headers went out: the caller gets the connection closed without [DONE]
    // (no normal end), and the record says what happened.
    endings.onFailed(error);
    if (clientGone) return;
    // What was read before the fault (counted by the tap) still goes out, then the connection is cut.
    flush();
    response.destroy();
    return;
  }
  if (clientGone) return;
  // The rest goes with the end; a flush still scheduled finds the response ended, or nothing to
  // write while the end waits for the row to be journaled: a caller that saw the stream end
  // ([DONE] in it) never outlives its row (the rows of a turn's streams go in one write).
  const rest = pending;
  pending = '';
  const journaled = endings.journaled?.();
  if (journaled !== undefined) await journaled;
  response.end(rest);
}

/**
 * Resolves when the socket takes writes again or the response closes. Both listeners go when
 * either fires: `Promise.race` of two `once()` left the other behind at every wait, so a long
 * stream to a slow reader piled them up (MaxListenersExceededWarning; an outside probe).
 */
function drainedOrClosed(response: ServerResponse, interrupted: AbortSignalLike | undefined): Promise<void> {
  if (interrupted?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      interrupted?.removeEventListener('abort', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
    interrupted?.addEventListener('abort', done);
  });
}
