import type { IncomingMessage } from 'node:http';

/** How much of a refused body is read and dropped, and for how long, before the connection is cut. */
export interface DrainLimits {
  maxBytes: number;
  maxMs: number;
}

/**
 * Reads and drops the rest of a request body the gateway has refused (413), so that a client
 * still sending it reads the answer. Closing at once, as Fastify does (`connection: close`), left
 * unread bytes in the socket: the kernel answered them with a reset, and a client writing a 60 MB
 * body got EPIPE instead of the 413 in most tries. The connection stays open for the drain (and
 * for the next request, once the body is over); a body longer than `maxBytes`, or one still
 * arriving after `maxMs`, gets the connection destroyed instead.
 */
export function drainRequestBody(request: IncomingMessage, limits: DrainLimits): void {
  if (request.complete || request.destroyed) return;
  let received = 0;
  const cut = () => request.socket.destroy();
  const timer = setTimeout(cut, limits.maxMs);
  timer.unref();
  const done = () => clearTimeout(timer);
  request.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > limits.maxBytes) {
      done();
      cut();
    }
  });
  request.once('end', done);
  request.once('close', done);
  request.resume();
}
