import type { IncomingMessage, ServerResponse } from 'node:http';

/** How much of a refused body is read and dropped, and for how long, before the connection is cut. */
export interface DrainLimits {
  maxBytes: number;
  maxMs: number;
}

/**
 * Reads and drops the rest of a request body the gateway has refused (413), so that a client
 * still sending it reads the answer (a "lingering close", RFC 9112 §9.6). Closing at once, as
 * Fastify does (`connection: close`), left unread bytes in the socket: the kernel answered them
 * with a reset, and a client writing a 60 MB body got EPIPE instead of the 413 in most tries.
 *
 * Node closes the socket as soon as an answer marked `connection: close` is written, so the
 * answer is kept open (`shouldKeepAlive`) and the socket is ended here once the body is over,
 * when the client asked to close; otherwise it serves the client's next request. A body longer
 * than `maxBytes`, or one still arriving after `maxMs`, gets the connection destroyed instead.
 * Call before the answer is sent.
 */
export function drainRequestBody(request: IncomingMessage, response: ServerResponse, limits: DrainLimits): void {
  if (request.complete || request.destroyed) return;
  response.shouldKeepAlive = true;
  const clientCloses = /close/i.test(request.headers.connection ?? '') || request.httpVersion === '1.0';
  let received = 0;
  const cut = () => request.socket.destroy();
  const timer = setTimeout(cut, limits.maxMs);
  timer.unref();
  request.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > limits.maxBytes) {
      clearTimeout(timer);
      cut();
    }
  });
  request.once('close', () => clearTimeout(timer));
  request.once('end', () => {
    clearTimeout(timer);
    if (!clientCloses) return;
    if (response.writableFinished) request.socket.end();
    else response.once('finish', () => request.socket.end());
  });
  request.resume();
}
