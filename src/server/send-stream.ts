import { once } from 'node:events';
import type { FastifyReply } from 'fastify';

/**
 * Writes a server-sent-event body as it is produced: headers first, then each piece the
 * moment it arrives, honouring the socket's backpressure. When the caller disconnects, the
 * source is cancelled (which closes the upstream call) and `onClientClosed` records it.
 */
export async function sendEventStream(
  reply: FastifyReply,
  headers: Record<string, string>,
  body: ReadableStream<string>,
  onClientClosed: () => void,
): Promise<void> {
  reply.hijack();
  const response = reply.raw;
  const reader = body.getReader();
  let clientGone = false;
  response.on('close', () => {
    if (response.writableFinished) return;
    clientGone = true;
    onClientClosed();
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
  } catch {
    // The source failed after the typed stream's own error handling: nothing more to send.
  } finally {
    if (!clientGone) response.end();
  }
}
