import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { KeyResolver } from '../core/governance.ts';
import type { LedgerRow } from '../core/ledger.ts';
import { shorten } from '../api/validation.ts';
import { GatewayError } from '../core/errors.ts';
import { RequestRecord, type FinishedRequest } from '../ledger/request-record.ts';
import { redactUrl } from '../telemetry/redact-url.ts';
import type { Identity } from './auth-hook.ts';
import { authenticate, keyMatcher } from './auth-hook.ts';
import { recordCaller } from './caller.ts';
import { createClientErrorHandler } from './client-error.ts';
import { createErrorHandler, createFailureAnswerer } from './error-handler.ts';
import { DirectRoutes } from './direct-routes.ts';
import type { ApiExchange, ApiRoute } from './api-exchange.ts';
import { sendAnswer, writeJson } from './send-answer.ts';
import { drainRequestBody } from './drain-request-body.ts';
import { sendEventStream } from './send-stream.ts';
import { headerList } from './header-list.ts';
import { formatForPath, shaperForPath, type ErrorShaper } from './ingress-format.ts';
import { parseJsonBody } from './json-body.ts';
import { utf8Text } from '../text/utf8.ts';
import { newRequestId, requestIdHeaders } from './request-id.ts';
import { attachRecord } from './record-on-request.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The ledger record of an API request (null for health, metrics and admin). */
    record: RequestRecord | null;
    identity: Identity | null;
    /** The body's bytes, kept on routes with `relayBytes` until the route takes them. */
    bodyBytes: Buffer | null;
  }
  interface FastifyInstance {
    /**
     * Adds a billable API route: served straight from node:http when the request comes in the
     * plain form, through Fastify otherwise (src/server/direct-routes.ts); one handler for both.
     */
    apiRoute(route: ApiRoute): void;
  }
  interface FastifyContextConfig {
    /** The ingress format of an API route: it is authenticated and its errors take this shape. */
    format?: string;
    /** The ledger endpoint name of a billable API route: it gets a ledger row. */
    endpoint?: LedgerRow['endpoint'];
    /** Accept the key in `x-api-key` (Anthropic's header) as well as Authorization. */
    apiKeyHeader?: boolean;
    /** Keep the body's bytes (`request.bodyBytes`) for relaying them to a provider as they came. */
    relayBytes?: boolean;
  }
}

/** What the HTTP layer needs from the rest of the gateway. */
export interface HttpServerOptions {
  maxBodyBytes: number;
  masterKey?: string;
  /** Resolves virtual keys (src/keys/virtual-keys.ts); absent: the master key only. */
  keys?: KeyResolver;
  logger: Logger;
  errorShapers: ReadonlyMap<string, ErrorShaper>;
  /** Called once per API request with its finished ledger row; `journaled` as RequestRecord's constructor describes. */
  onRequestFinished: FinishedRequest;
  /** Called once an API request is authenticated (its key known), before anything else runs. */
  onRequestStarted?(record: RequestRecord): void;
  /** True once the gateway drains (direct-routes.ts leaves requests to Fastify from then on). */
  isClosing?(): boolean;
}

/**
 * Longest a client may take to send a whole request (headers and body): Node's default is none
 * in Fastify, so a client trickling a body held a connection and its buffer forever. Fastify's
 * docs recommend setting one (e.g. 120 s) when no reverse proxy is in front. The answer is a 408
 * (src/server/client-error.ts). Streamed answers are not limited by it.
 */
const requestTimeoutMs = 120_000;

/** A refused (413) body is read and dropped up to this many times the body limit (64 MiB at least)… */
const drainBodyLimits = 4;
/** …and for this long, so that the client reads the 413 (src/server/drain-request-body.ts). */
const drainMs = 10_000;

/** The methods a 405's `Allow` may name (HEAD comes with GET; no route takes OPTIONS). */
const routeMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

function refuseSchemas(): never {
  throw new Error('Switchboard routes take no Fastify schema: validate in the route (src/api/) instead');
}

/**
 * The Fastify instance with the cross-cutting parts: body limit (413), JSON for any content
 * type, request ids, a ledger record and authentication for every API route, the one error
 * handler, and answers in the caller's error shape to what Node's HTTP parser refuses.
 * Endpoints are added by src/server/routes/*.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  // The billable routes by path, filled as routes are added: a request Node's HTTP parser refuses
  // on one of them still gets its ledger row (src/server/client-error.ts).
  const billable = new Map<string, LedgerRow['endpoint']>();
  const recordRefusal = (method: string, path: string, refusal: GatewayError): RequestRecord | undefined => {
    let bare = path.split(/[?#]/, 1)[0]!;
    try {
      bare = decodeURIComponent(bare); // as the router decodes it: /v1/chat/%63ompletions is chat
    } catch {
      // A malformed escape matches no route.
    }
    const endpoint = billable.get(`${method} ${bare.length > 1 && bare.endsWith('/') ? bare.slice(0, -1) : bare}`);
    if (endpoint === undefined) return undefined;
    const record = new RequestRecord(newRequestId(), endpoint, options.onRequestFinished);
    record.finish(refusal.code === 'SB_ERR_CLIENT_CLOSED' ? 'client_aborted' : 'error', refusal.status, refusal);
    return record;
  };
  const app = Fastify({
    clientErrorHandler: createClientErrorHandler(options.errorShapers, options.logger, (method, path, refusal) => recordRefusal(method, path, refusal)?.id),
    // A URL Fastify's router cannot decode (bad percent-encoding) or with a path parameter over
    // its 100 characters: answered in the caller's shape, not Fastify's.
    frameworkErrors: (error, request, reply) => {
      const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      const message = status === 414 ? 'A path parameter of the URL is too long (100 characters at most).' : 'The request URL is not valid (a malformed percent-encoding).';
      reply.header('x-request-id', request.id);
      sendRouteless(reply, request.url, new GatewayError('SB_ERR_INVALID_REQUEST', message, { status }));
    },
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    // No child logger per request (a pino child per request cost more than the few lines that
    // use it): request.log is the server's logger, and those lines name request_id themselves.
    childLoggerFactory: (logger) => logger,
    bodyLimit: options.maxBodyBytes,
    requestTimeout: requestTimeoutMs,
    // A request without Host is refused by the 'request' listener below, in the caller's shape.
    http: { requireHostHeader: false },
    genReqId: () => newRequestId(),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
    // No route declares a Fastify schema (requests are checked by src/api/'s parsers, answers are
    // text already serialised), so Fastify's default compilers, Ajv and fast-json-stringify, are
    // not loaded: that saved about 40 ms of every process's start (docs/performance.md). A route
    // given a schema later fails at registration instead of going unchecked.
    schemaController: { compilersFactory: { buildValidator: refuseSchemas, buildSerializer: refuseSchemas } },
  });
  const isMasterKey = options.masterKey ? keyMatcher(options.masterKey) : undefined;
  app.addHook('onRoute', (route) => {
    if (!route.config?.endpoint) return;
    for (const method of [route.method].flat()) billable.set(`${method} ${route.url}`, route.config.endpoint);
  });
  app.decorateRequest('record', null);
  app.decorateRequest('identity', null);
  app.decorateRequest('bodyBytes', null);

  // One parser for every content type (src/server/json-body.ts): clients that forget the content
  // type, or send text/plain, still send JSON; an empty body is no body. Read as bytes, decoded
  // here as UTF-8 (as Fastify's `parseAs: 'string'` does, but without Node 20-22's slow decoder
  // for large non-ASCII bodies: src/text/utf8.ts), so a route that relays the body as it came
  // keeps them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, bytes, done) => {
    try {
      const body = parseJsonBody(utf8Text(bytes as Buffer));
      // Invalid UTF-8 was decoded to U+FFFD for the parse: only bytes that say the same are relayed.
      if (request.routeOptions.config.relayBytes && isUtf8(bytes as Buffer)) request.bodyBytes = bytes as Buffer;
      done(null, body);
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  // A callback hook, not an async one: with the master key (or no key needed) it completes in
  // the same turn, without the promise Fastify awaits for an async hook; a virtual key waits for
  // its resolution.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    const config = request.routeOptions.config;
    if (config.format === 'anthropic') reply.header('request-id', request.id);
    if (config.endpoint) {
      request.record = new RequestRecord(request.id, config.endpoint, options.onRequestFinished);
      attachRecord(request.raw, request.record);
    }
    if (!config.format) return done();
    const authenticated = (identity: Identity) => {
      try {
        request.identity = identity;
        if (request.record) {
          recordCaller(request.record, identity);
          options.onRequestStarted?.(request.record);
        }
      } catch (error) {
        done(error as Error);
        return;
      }
      done();
    };
    let identity: Identity | Promise<Identity>;
    try {
      identity = authenticate(request.headers, isMasterKey, config.apiKeyHeader === true, options.keys);
    } catch (error) {
      return done(error as Error);
    }
    if (identity instanceof Promise) identity.then(authenticated, (error: unknown) => done(error instanceof Error ? error : new Error(`Authentication failed: ${String(error)}`)));
    else authenticated(identity);
  });

  const answerFailure = createFailureAnswerer(options.errorShapers, (error, requestId, url) => {
    const fields = { request_id: requestId, code: error.code, status: error.status, path: redactUrl(url) };
    if (error.status >= 500) options.logger.error({ ...fields, err: error }, error.message);
    else options.logger.info(fields, error.message);
  });
  const drainLimits = { maxBytes: Math.max(drainBodyLimits * options.maxBodyBytes, 64 * 1024 * 1024), maxMs: drainMs };
  app.setErrorHandler(createErrorHandler(answerFailure, drainLimits));

  // The billable API routes: a request in the plain form is served before Fastify sees it; the
  // rest reach the same handler through Fastify's route (src/server/direct-routes.ts). The
  // server's one 'request' listener, Fastify's router, is wrapped (`fastify.routing` routes a
  // request as that listener does).
  const direct = new DirectRoutes({
    maxBodyBytes: options.maxBodyBytes,
    authenticate: (headers, apiKeyHeader) => authenticate(headers, isMasterKey, apiKeyHeader, options.keys),
    newRecord: (id, endpoint) => new RequestRecord(id, endpoint, options.onRequestFinished),
    ...(options.onRequestStarted ? { onRequestStarted: options.onRequestStarted } : {}),
    answerFailure,
    isClosing: options.isClosing ?? (() => false),
  });
  /**
   * Refuses a request before any route sees it, as Node would with a bare status line (a
   * missing Host, an Expect it cannot meet), in the caller's shape, with a ledger row on a
   * billable path and its body drained so the connection serves the next request.
   */
  const refuseUnrouted = (request: IncomingMessage, response: ServerResponse, refusal: GatewayError): void => {
    const path = request.url ?? '';
    const record = recordRefusal(request.method ?? '', path, refusal);
    // A refusal Node's parser makes later in its body (a malformed chunk) is this row's, not a second one.
    if (record) attachRecord(request, record);
    const requestId = record?.id ?? newRequestId();
    const shape = shaperForPath(options.errorShapers, path);
    options.logger.info({ request_id: requestId, code: refusal.code, status: refusal.status }, refusal.message);
    drainRequestBody(request, response, drainLimits);
    writeJson(response, refusal.status, requestIdHeaders(path, requestId), JSON.stringify(shape(refusal)));
  };
  app.server.removeAllListeners('request');
  app.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400 (Node's own answer had no body).
    if (request.headers.host === undefined && request.httpVersionMinor === 1 && request.httpVersionMajor === 1) {
      refuseUnrouted(request, response, new GatewayError('SB_ERR_INVALID_REQUEST', 'An HTTP/1.1 request must carry a Host header.'));
      return;
    }
    if (!direct.take(request, response)) app.routing(request, response);
  });
  // An `Expect` other than 100-continue, which Node meets itself (RFC 9110 §10.1.1: 417).
  app.server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    refuseUnrouted(request, response, new GatewayError('SB_ERR_INVALID_REQUEST', `Expect: ${String(request.headers.expect).slice(0, 100)} is not supported (only 100-continue).`, { status: 417 }));
  });
  app.decorate('apiRoute', (route: ApiRoute) => {
    direct.add(route);
    app.post(route.path, { config: { format: route.format, endpoint: route.endpoint, apiKeyHeader: route.apiKeyHeader === true, relayBytes: route.relayBytes === true } }, async (request, reply) => {
      const exchange: ApiExchange = {
        id: request.id,
        record: request.record!,
        identity: request.identity,
        headers: request.headers,
        body: request.body,
        takeBodyBytes: () => {
          const bytes = request.bodyBytes ?? undefined;
          request.bodyBytes = null;
          return bytes;
        },
        response: reply.raw,
        setHeader: (name, value) => void reply.header(name, value),
      };
      const answer = await route.handler(exchange);
      if (answer.kind === 'json') return sendAnswer(reply, request.record!, answer.model, answer.text);
      reply.hijack();
      await sendEventStream(reply.raw, headerList(reply.getHeaders(), answer.headers), answer.body, answer.endings);
      return reply;
    });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // A path may hold a key secret (/admin/keys/{id} takes one): not echoed.
    const shown = shorten(redactUrl(path));
    // A known path asked with another method (GET /v1/chat/completions): 405 and the methods it
    // takes (RFC 9110 §15.5.6 requires `Allow`), as FastAPI answers LiteLLM's callers.
    const allowed = routeMethods.filter((method) => app.findRoute({ method, url: path }) !== null);
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendRouteless(reply, path, new GatewayError('SB_ERR_METHOD_NOT_ALLOWED', `Method ${request.method} is not allowed on ${shown}; it takes ${allowed.join(', ')}`));
    }
    sendRouteless(reply, path, new GatewayError('SB_ERR_NOT_FOUND', `Unknown endpoint: ${request.method} ${shown}`));
  });
  return app;

  /** An answer to a request that matched no route, in the shape of the API its path belongs to. */
  function sendRouteless(reply: FastifyReply, path: string, error: GatewayError): void {
    // Anthropic's SDKs read the request id from `request-id`, on errors too.
    if (formatForPath(path) === 'anthropic') reply.header('request-id', reply.request.id);
    void reply.code(error.status).type('application/json').send(JSON.stringify(shaperForPath(options.errorShapers, path)(error)));
  }
}
