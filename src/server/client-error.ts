import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { GatewayError } from '../core/errors.ts';
import { shaperForPath, type ErrorShaper } from './ingress-format.ts';
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

  /** Ends the connection; whatever still arrives is ignored for `lingerMs`, then it is destroyed. */
  const close = (socket: Socket, statusLine?: string): void => {
    if (!socket.destroyed) {
      if (statusLine !== undefined && socket.writable) socket.end(statusLine);
      else socket.end();
    }
    const timer = setTimeout(() => socket.destroy(), lingerMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };

  /** The answer to a refusal, as raw bytes: its status line, headers and the body in the path's shape. */
  const refusalAnswer = (refusal: GatewayError, path: string, requestId: string | undefined): string => {
    const body = JSON.stringify(shaperForPath(shapers, path)(refusal));
    return `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${requestId ? requestIdLines(path, requestId) : ''}connection: close\r\n\r\n${body}`;
  };

  /**
   * The refusal of the request being received on `socket`, whose answer Node has not started:
   * its own row records it (one row, the status answered), and it is answered unless its client left.
   */
  const refuseReceiving = (error: ParserError, raw: Buffer | undefined, socket: Socket, request: IncomingMessage, answer: ServerResponse): void => {
    const refusal = refusalOf(error, raw, true);
    const clientLeft = refusal.code === 'SB_ERR_CLIENT_CLOSED';
    const record = recordOf(request);
    record?.finish(clientLeft ? 'client_aborted' : 'error', refusal.status, refusal);
    logger.info({ code: error.code, status: refusal.status, ...(record ? { request_id: record.id } : {}) }, `refused a malformed HTTP request: ${refusal.message}`);
    close(socket, clientLeft || answer.headersSent ? undefined : refusalAnswer(refusal, request.url ?? '', record?.id));
  };

  return (error: ParserError, socket: Socket): void => {
    // A reset connection has nobody to answer; a second parser error on one socket is the same request.
    if (error.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
    answered.add(socket);
    const raw = Buffer.isBuffer(error.rawPacket) ? error.rawPacket : undefined;
    const current = currentAnswer(socket);
    if (current?.req !== undefined && !current.req.complete) {
      // The refused bytes are this request's own (a malformed chunked body, the request timeout,
      // the client leaving mid-body), whether or not its answer is written already (a 413, a
      // refusal before routing, while the body drains).
      refuseReceiving(error, raw, socket, current.req, current);
      return;
    }
    if (current?.req !== undefined && !current.writableFinished) {
      // An earlier request, received whole, is still being answered: the refused bytes came after
      // it (pipelined, or after its `Connection: close`). Its answer goes out whole, and so does
      // that of every request received whole behind it (Node hands the socket to each in turn).
      // A status line of ours now would take its place: the client would read our 400 as that
      // request's answer while the provider answered it and the ledger recorded it as sent. The
      // first request not received whole is the refused one: refused in its turn. Bytes that
      // made no request (not parsed as one) are not answered and have no row: where they start
      // cannot be told apart from the request before them (an outside probe).
      logger.info({ code: error.code }, 'refused bytes after a pipelined request: the connection closes once it is answered');
      const whenAnswered = (): void => {
        const next = currentAnswer(socket);
        if (socket.destroyed || next === null || next === undefined || next.writableFinished) {
          close(socket);
          return;
        }
        if (next.req !== undefined && !next.req.complete) {
          refuseReceiving(error, raw, socket, next.req, next);
          return;
        }
        next.once('close', () => setImmediate(whenAnswered));
      };
      whenAnswered();
      return;
    }
    // Nothing under way: the refused bytes start a request that was never routed.
    const line = requestLine(raw);
    const refusal = refusalOf(error, raw, line !== undefined);
    const clientLeft = refusal.code === 'SB_ERR_CLIENT_CLOSED';
    // Data after a `Connection: close` whose answer is written: the client was told the connection ends.
    const afterClose = error.code === 'HPE_CLOSED_CONNECTION';
    const requestId = line && !afterClose ? onRefused?.(line.method, line.path, refusal) : undefined;
    logger.info({ code: error.code, status: refusal.status, ...(requestId ? { request_id: requestId } : {}) }, `refused a malformed HTTP request: ${refusal.message}`);
    close(socket, clientLeft || afterClose || current?.headersSent === true ? undefined : refusalAnswer(refusal, line?.path ?? '', requestId));
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
