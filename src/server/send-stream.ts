import { once } from 'node:events';
import type { FastifyReply } from 'fastify';
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
}

/**
 * Writes a server-sent-event body as it is produced, honouring the socket's backpressure. What is
 * produced in one turn of the event loop goes out in one socket write: the headers with the first
 * events (already read when the answer is known to be a success), and the events of one upstream
 * chunk together, instead of a system call per event; nothing waits longer than that turn. When
 * the caller disconnects, the source is cancelled (which closes the upstream call) and
 * `onClientClosed` records it.
 */
export async function sendEventStream(reply: FastifyReply, headers: Record<string, string>, reader: EventReader<string>, endings: StreamEndings): Promise<void> {
  reply.hijack();
  const response = reply.raw;
  let corked = false;
  let wrote = false;
  const uncork = () => {
    corked = false;
    response.uncork();
    // Nothing to send with them yet: the headers go alone, so the caller knows the answer started.
    if (!wrote && !response.writableEnded) response.flushHeaders();
  };
  const holdUntilNextTurn = () => {
    if (corked) return;
    corked = true;
    response.cork();
    setImmediate(uncork);
  };
  let clientGone = false;
  response.on('close', () => {
    if (response.writableFinished) return;
    clientGone = true;
    endings.onClientClosed();
    reader.cancel().catch(() => undefined);
  });
  holdUntilNextTurn();
  response.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done || clientGone) break;
      holdUntilNextTurn();
      wrote = true;
      if (!response.write(next.value)) await Promise.race([once(response, 'drain'), once(response, 'close')]);
    }
  } catch (error) {
    // The typed stream turns every upstream failure into an error event, so this is a fault of
    // ours after the headers went out: the caller gets the connection closed without [DONE]
    // (no normal end), and the record says what happened.
    endings.onFailed(error);
    if (!clientGone) response.destroy();
    return;
  }
  if (!clientGone) response.end();
}
