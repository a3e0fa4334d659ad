import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { GatewayError } from '../core/errors.ts';
import { formatForPath, type ErrorShaper } from './ingress-format.ts';
import { recordOf } from './record-on-request.ts';
import { requestIdHeaders } from './request-id.ts';

/** What Node's HTTP parser attaches to the errors it emits as `clientError` (`rawPacket` is a Buffer). */
type ParserError = Error & { code?: string; reason?: string; rawPacket?: unknown };

/*
 * node:http through `process.getBuiltinModule`, not an `import`: on Node 22+ the module has lazy
 * getters (WebSocket, CloseEvent, MessageEvent) that load Node's bundled undici, 0.76 MB of source,
 * and an ES import reads every export to build its namespace, so this one `import ... from
 * 'node:http'` loaded it into every process: 2.4 MB of heap, and 1-8 MB of the gateway's peak RSS
 * on Node 24.21 (docs/performance.md, fourteenth session). The CommonJS module object has the
 * getters without calling them. It was the only value import of node:http in src/;
 * test/e2e/builtin-imports.test.ts fails on Node 22+ if one loads the bundle again.
 */
const { maxHeaderSize, STATUS_CODES } = process.getBuiltinModule('node:http');

/** How long a refused connection still reads what the client sends, so that it reads the answer. */
const lingerMs = 1000;

/**
 * Answers requests Node's HTTP parser refuses before there is a request to route (a bad request
 * line, headers over Node's 16 KB `maxHeaderSize`, a malformed header or body framing, headers
 * not received in time), in place of Fastify's default (its own JSON shape, 400 or 431). The
 * answer takes the ingress format's error shape, chosen from the request line's path (Anthropic's
 * on /v1/messages), and says what is wrong: 414 when the request line alone is over the limit,
 * 431 when the headers are, 408 on a timeout, else 400. A refused request whose path is one of
 * the API's billable endpoints gets a ledger row (no key: the headers were not read) and its id in
 * `x-request-id`, through `onRefused`: every request to the API is in the ledger, whatever
 * happened to it (issue 13). Another path has no row, as an unknown endpoint has none.
 *
 * The socket is ended, not destroyed: a client still sending (the rest of its headers, a body)
 * would otherwise get a reset that can discard the answer before it is read. Whatever still
 * arrives is ignored for `lingerMs`, then the socket is destroyed.
 */
export function createClientErrorHandler(
  shapers: ReadonlyMap<string, ErrorShaper>,
  logger: Logger,
  /** Records the refusal of `method path` (query included); returns its request id if it has a row. */
  onRefused?: (method: string, path: string, refusal: GatewayError) => string | undefined,
) {
  const answered = new WeakSet<Socket>();
  return (error: ParserError, socket: Socket): void => {
    // A reset connection has nobody to answer; a second parser error on one socket is the same request.
    if (error.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
    answered.add(socket);
    const raw = Buffer.isBuffer(error.rawPacket) ? error.rawPacket : undefined;
    // The request Node is reading or answering on this socket, if any. Still being received: the
    // refused bytes are its own (a malformed chunked body, the request timeout), and its row
    // records the refusal. Received whole: they are a later request's (below).
    const current = currentAnswer(socket);
    const receiving = current?.req !== undefined && !current.req.complete ? current.req : undefined;
    const ownRecord = receiving ? recordOf(receiving) : undefined;
    const line = receiving && ownRecord ? { method: receiving.method ?? '', path: receiving.url ?? '' } : requestLine(raw);
    const refusal = refusalOf(error, raw, line !== undefined);
    const shape = shapers.get(formatForPath(line?.path ?? '')) ?? shapers.get('openai')!;
    const body = JSON.stringify(shape(refusal));
    let requestId: string | undefined;
    const clientLeft = refusal.code === 'SB_ERR_CLIENT_CLOSED';
    if (ownRecord) {
      ownRecord.finish(clientLeft ? 'client_aborted' : 'error', refusal.status, refusal);
      requestId = ownRecord.id;
    } else if (line) {
      requestId = onRefused?.(line.method, line.path, refusal);
    }
    logger.info({ code: error.code, status: refusal.status, ...(requestId ? { request_id: requestId } : {}) }, `refused a malformed HTTP request: ${refusal.message}`);
    const linger = () => {
      const timer = setTimeout(() => socket.destroy(), lingerMs);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    };
    // An earlier request on this connection still being answered (bytes the parser refused came
    // after it, pipelined, or after its `Connection: close`; or a 413 while its body drains):
    // its answer goes out whole, then the connection closes. A status line of ours now would
    // take its place, and the client would read our 400 as that request's answer while the
    // provider answered it and the ledger recorded it as sent (an outside probe).
    if (current?.req?.complete === true && answering(socket)) {
      // Node hands the socket to the next pipelined answer when one ends; wait for each in turn.
      const whenAnswered = (): void => {
        if (answering(socket)) {
          currentAnswer(socket)!.once('close', () => setImmediate(whenAnswered));
          return;
        }
        if (!socket.destroyed) socket.end();
        linger();
      };
      whenAnswered();
      return;
    }
    if (socket.writable && current?.headersSent !== true && !clientLeft) {
      socket.end(
        `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${requestId ? requestIdLines(line?.path ?? '', requestId) : ''}connection: close\r\n\r\n${body}`,
      );
    }
    linger();
  };
}

/** The request id's header lines of a refusal (request-id too on /v1/messages, for Anthropic's SDKs). */
function requestIdLines(path: string, requestId: string): string {
  const headers = requestIdHeaders(path, requestId);
  let lines = '';
  for (let index = 0; index < headers.length; index += 2) lines += `${headers[index]}: ${headers[index + 1]}\r\n`;
  return lines;
}

/** The answer Node is writing on `socket` (its `_httpMessage`), if any. */
function currentAnswer(socket: Socket): ServerResponse | null | undefined {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
}

/** Whether an answer to an earlier request is still being written on `socket`. */
function answering(socket: Socket): boolean {
  const current = currentAnswer(socket);
  return current !== null && current !== undefined && !current.writableFinished && !socket.destroyed;
}

/**
 * `raw` is the chunk the parser was reading when it failed (`rawPacket`): the start of the request
 * when it came in one piece, else a later piece (headers split over TCP segments) that holds no
 * request line. Then the path is unknown: the answer takes OpenAI's shape and there is no row.
 */
function refusalOf(error: ParserError, raw: Buffer | undefined, startsRequest: boolean): GatewayError {
  const invalid = (message: string, status: number) => new GatewayError('SB_ERR_INVALID_REQUEST', message, { status, cause: error });
  switch (error.code) {
    case 'HPE_INVALID_EOF_STATE':
      // The connection ended in the middle of a request (Node 20's parser says so; later ones end
      // the request with `aborted`): the client left, as a disconnect mid-stream is (docs/errors.md).
      return new GatewayError('SB_ERR_CLIENT_CLOSED', 'The client closed the connection in the middle of its request', { cause: error });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return invalid('The request was not received in time.', 408);
    case 'HPE_HEADER_OVERFLOW': {
      // A piece after the request line is headers: 431. From the start, 414 when the line alone is over.
      const lineEnd = startsRequest ? (raw?.indexOf('\r\n') ?? -1) : 0;
      return lineEnd === -1 || lineEnd >= maxHeaderSize
        ? invalid(`The request URI is too long (the request line and headers may take ${maxHeaderSize} bytes).`, 414)
        : invalid(`The request headers are too large (${maxHeaderSize} bytes at most).`, 431);
    }
    default:
      return invalid(`Malformed HTTP request: ${error.reason ?? 'the request could not be parsed'}.`, 400);
  }
}

/**
 * A request line: a method and an origin-form target, `POST /v1/...` (RFC 9112 §3). The method is
 * taken as sent, whatever it is (a malformed one is often why the parser refused the request);
 * a header line (`name: value`) is not one.
 */
const requestLinePattern = /^([^\s:]*) (\/\S*)/;

/** The method and path of the request line `raw` starts with, if it starts with one. */
function requestLine(raw: Buffer | undefined): { method: string; path: string } | undefined {
  if (!raw) return undefined;
  const found = requestLinePattern.exec(raw.subarray(0, Math.min(raw.length, 256)).toString('latin1'));
  return found ? { method: found[1]!, path: found[2]! } : undefined;
}
