import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.ts';
import type { LedgerRow } from '../core/ledger.ts';
import type { RequestRecord } from '../ledger/request-record.ts';
import { utf8Text } from '../text/utf8.ts';
import type { ApiAnswer, ApiExchange, ApiRoute } from './api-exchange.ts';
import type { Identity } from './auth-hook.ts';
import { recordCaller } from './caller.ts';
import type { FailureAnswer } from './error-handler.ts';
import { headerList } from './header-list.ts';
import { parseJsonBody } from './json-body.ts';
import { newRequestId } from './request-id.ts';
import { writeAnswer, writeJson } from './send-answer.ts';
import { sendEventStream } from './send-stream.ts';
import { attachRecord } from './record-on-request.ts';

export interface DirectRoutesOptions {
  maxBodyBytes: number;
  authenticate(headers: IncomingHttpHeaders, apiKeyHeader: boolean): Identity | Promise<Identity>;
  newRecord(id: string, endpoint: LedgerRow['endpoint']): RequestRecord;
  onRequestStarted?(record: RequestRecord): void;
  /** The failure's answer, the record finished and the failure logged (src/server/error-handler.ts). */
  answerFailure(thrown: Error, format: string, record: RequestRecord, body: unknown, requestId: string, url: string): FailureAnswer;
  /** True once the server drains: new requests go to Fastify, which answers 503 once it closes. */
  isClosing(): boolean;
}

/**
 * Content types whose bodies Fastify's catch-all parser takes as they are (src/server/http.ts):
 * what SDKs send, and none at all. Any other goes to Fastify, which checks it (415 when malformed).
 */
const plainContentTypes = new Set<string | undefined>([undefined, 'application/json', 'application/json; charset=utf-8', 'application/json; charset=UTF-8']);

/**
 * The billable API routes (chat, messages, embeddings) served straight from node:http, without
 * Fastify's request and reply objects, hooks, content-type parsing and send pipeline: about 20 µs
 * of a non-streamed request's 200-230 at c=16 (docs/performance.md, eleventh session). A request
 * is taken only in the plain form clients send: POST to the exact path, a Content-Length within
 * the body limit, no Transfer-Encoding, a JSON or no content type, and the server not draining.
 * Every other request to these paths (a chunked or oversized body, a query string, a trailing
 * slash, an odd content type) goes through Fastify's route for the same handler, so that the
 * rarer edges (413 with its drain, 415, 503 while closing) keep one implementation. The steps and
 * their order are the Fastify route's: a ledger record and the x-request-id header, authentication
 * before the body is read, the request in the in-flight journal, the body parsed by the one
 * parser (src/server/json-body.ts), errors shaped by the one error answer (src/server/error-handler.ts).
 */
export class DirectRoutes {
  readonly #options: DirectRoutesOptions;
  readonly #routes = new Map<string, ApiRoute>();

  constructor(options: DirectRoutesOptions) {
    this.#options = options;
  }

  add(route: ApiRoute): void {
    this.#routes.set(route.path, route);
  }

  /** Serves the request when it is one of ours in the plain form; false leaves it to Fastify. */
  take(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'POST') return false;
    const route = this.#routes.get(request.url!);
    if (route === undefined) return false;
    const headers = request.headers;
    const declared = headers['content-length'];
    if (declared === undefined || headers['transfer-encoding'] !== undefined || !plainContentTypes.has(headers['content-type'])) return false;
    const length = Number(declared);
    if (!(length > 0 && length <= this.#options.maxBodyBytes) || this.#options.isClosing()) return false;
    new DirectExchange(route, request, response, length, this.#options).start();
    return true;
  }
}

class DirectExchange implements ApiExchange {
  readonly id = newRequestId();
  readonly record: RequestRecord;
  identity: Identity | null = null;
  readonly headers: IncomingHttpHeaders;
  body: unknown = undefined;
  readonly response: ServerResponse;
  readonly #route: ApiRoute;
  readonly #request: IncomingMessage;
  readonly #length: number;
  readonly #options: DirectRoutesOptions;
  /** Headers every answer carries, whatever it is (x-request-id; request-id on /v1/messages). */
  readonly #headers: Record<string, string>;
  #bytes: Buffer | undefined;

  constructor(route: ApiRoute, request: IncomingMessage, response: ServerResponse, length: number, options: DirectRoutesOptions) {
    this.#route = route;
    this.#request = request;
    this.headers = request.headers;
    this.response = response;
    this.#length = length;
    this.#options = options;
    // Anthropic's SDKs read the id from `request-id`, on errors too (401s, malformed bodies).
    this.#headers = route.format === 'anthropic' ? { 'x-request-id': this.id, 'request-id': this.id } : { 'x-request-id': this.id };
    this.record = options.newRecord(this.id, route.endpoint);
    attachRecord(request, this.record);
  }

  takeBodyBytes(): Buffer | undefined {
    const bytes = this.#bytes;
    this.#bytes = undefined;
    return bytes;
  }

  setHeader(name: string, value: string): void {
    this.#headers[name] = value;
  }

  start(): void {
    let identity: Identity | Promise<Identity>;
    try {
      identity = this.#options.authenticate(this.headers, this.#route.apiKeyHeader === true);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (identity instanceof Promise) identity.then((resolved) => this.#authenticated(resolved), (error: unknown) => this.#fail(error instanceof Error ? error : new Error(`Authentication failed: ${String(error)}`)));
    else this.#authenticated(identity);
  }

  #authenticated(identity: Identity): void {
    try {
      this.identity = identity;
      recordCaller(this.record, identity);
      this.#options.onRequestStarted?.(this.record);
    } catch (error) {
      this.#fail(error);
      return;
    }
    readBody(this.#request, this.#length, (error, bytes) => (error ? this.#fail(error) : this.#handle(bytes!)));
  }

  #handle(bytes: Buffer): void {
    try {
      this.body = parseJsonBody(utf8Text(bytes));
    } catch (error) {
      this.#fail(error);
      return;
    }
    // Invalid UTF-8 was decoded to U+FFFD for the parse: only bytes that say the same are relayed.
    if (this.#route.relayBytes && isUtf8(bytes)) this.#bytes = bytes;
    let answer: Promise<ApiAnswer>;
    try {
      answer = this.#route.handler(this);
    } catch (error) {
      // A handler that is not an async function throws its request's errors (a malformed body).
      this.#fail(error);
      return;
    }
    answer.then(
      (answered) => this.#answer(answered),
      (error: unknown) => this.#fail(error),
    );
  }

  #answer(answer: ApiAnswer): void {
    try {
      if (answer.kind === 'json') {
        writeAnswer(this.response, this.#headers, this.record, answer.model, answer.text);
        return;
      }
      sendEventStream(this.response, headerList(this.#headers, answer.headers), answer.body, answer.endings).catch((error: unknown) => this.#fail(error));
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(thrown: unknown): void {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    const failure = this.#options.answerFailure(error, this.#route.format, this.record, this.body, this.id, this.#request.url!);
    const response = this.response;
    if (response.headersSent) {
      // An answer had started: it cannot become an error any more, and must not look complete.
      response.destroy();
      return;
    }
    if (response.destroyed) return;
    writeJson(response, failure.status, headerList(this.#headers, failure.headers), failure.text);
  }
}

/**
 * Reads a body of `length` bytes (its Content-Length) into one buffer of its own, as Fastify's
 * body reader does (lib/content-type-parser.js `rawBody`): a read that fails (the client went
 * away) is a 400, and so is a body shorter than declared. In a function of its own, so that the
 * chunks are not kept by the closures of the request's later steps.
 */
function readBody(request: IncomingMessage, length: number, done: (error: Error | undefined, bytes?: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let received = 0;
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    chunks.push(chunk);
  };
  const onEnd = (error?: Error & { statusCode?: number }) => {
    request.removeListener('data', onData);
    request.removeListener('end', onEnd);
    request.removeListener('error', onEnd);
    if (error) {
      if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
      done(error);
    } else if (received !== length) {
      done(new GatewayError('SB_ERR_INVALID_REQUEST', 'Request body size did not match Content-Length'));
    } else {
      done(undefined, Buffer.concat(chunks, received));
    }
  };
  request.on('data', onData);
  request.on('end', onEnd);
  request.on('error', onEnd);
}
