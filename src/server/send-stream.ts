import { once } from 'node:events';
import type { FastifyReply } from 'fastify';

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
 * Writes a server-sent-event body as it is produced: headers first, then each piece the
 * moment it arrives, honouring the socket's backpressure. When the caller disconnects, the
 * source is cancelled (which closes the upstream call) and `onClientClosed` records it.
 */
export async function sendEventStream(reply: FastifyReply, headers: Record<string, string>, body: ReadableStream<string>, endings: StreamEndings): Promise<void> {
  reply.hijack();
  const response = reply.raw;
  const reader = body.getReader();
  let clientGone = false;
  response.on('close', () => {
    if (response.writableFinished) return;
    clientGone = true;
    endings.onClientClosed();
    reader.cancel().catch(() => undefined);
  });
  response.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  response.flushHeaders();
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done || clientGone) break;
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
