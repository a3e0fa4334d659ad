import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, toGatewayError } from '../core/errors.ts';
import { drainRequestBody, type DrainLimits } from './drain-request-body.ts';
import { maxModelNameLength } from '../api/model-name.ts';
import { failureHeaders } from './answer-headers.ts';
import type { ErrorShaper } from './ingress-format.ts';
import { RefusedKeyError } from './auth-hook.ts';
import type { RequestRecord } from '../ledger/request-record.ts';

/** The longest retry-after a client's automatic retry is left to wait out (see createFailureAnswerer). */
const longestWaitForAutomaticRetrySeconds = 60;

/** An error's answer: status, the headers it adds, and the body in the route's ingress shape. */
export interface FailureAnswer {
  error: GatewayError;
  status: number;
  headers: Record<string, string>;
  text: string;
}

/**
 * The one place an error becomes an answer, whichever way the request came in (Fastify's error
 * handler below, src/server/direct-routes.ts): Fastify's own errors (body too large, bad JSON) and
 * GatewayErrors alike, shaped by the route's ingress format, with retry-after on 429s and, on an
 * API request, the x-switchboard-* headers (src/server/answer-headers.ts `failureHeaders`). The
 * request's ledger record is finished here for every failed API request, and the failure logged.
 */
export function createFailureAnswerer(shapers: ReadonlyMap<string, ErrorShaper>, log: (error: GatewayError, requestId: string, url: string) => void) {
  const fallbackShaper = shapers.get('openai')!;
  return (thrown: FastifyError | Error, format: string, record: RequestRecord | null, body: unknown, requestId: string, url: string): FailureAnswer => {
    const error = fromFastify(thrown);
    const shape = shapers.get(format) ?? fallbackShaper;
    // A request refused before the pipeline read it (a 400 on another field) still names the model it asked for.
    if (record && record.modelRequested === null) record.modelRequested = requestedModel(body);
    // A revoked or expired key is named on its refusal's row.
    if (record && thrown instanceof RefusedKeyError) {
      record.keyId = thrown.keyId;
      record.team = thrown.team;
    }
    const row = record?.finish(error.code === 'SB_ERR_CLIENT_CLOSED' ? 'client_aborted' : 'error', error.status, error);
    log(error, requestId, url);
    // ../shared/SPEC.md: every response carries the x-switchboard-* headers; an error, what is known of them.
    const headers = record && row ? failureHeaders(record, row.costUsd) : {};
    if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
    // `x-should-retry`, a header the official OpenAI and Anthropic SDKs obey before retry-after.
    // They sleep for the whole retry-after before their automatic retry, however long (client.mjs
    // `retryRequest`; openai's sleep ignores the abort signal): a spent budget (until its reset, a
    // day for a total one) or a provider's own long wait (an hourly quota, passed through) hung the
    // call. Past a minute, the wait older SDKs capped, they are told not to retry; the retry-after
    // still says when. A budget that resets within the minute is waited out and retried.
    if ((error.retryAfterSeconds ?? 0) > longestWaitForAutomaticRetrySeconds) headers['x-should-retry'] = 'false';
    // 499 is nginx's "client closed request": nobody reads it, but the log and ledger say what happened.
    return { error, status: error.status, headers, text: JSON.stringify(shape(error)) };
  };
}

/**
 * Fastify's error handler: the failure's answer (above), on a connection kept open. Fastify asks
 * for `connection: close` when it refuses a body (too large, a media type it cannot read, JSON
 * it cannot parse), but Node has by then parsed and started any request pipelined behind it on
 * the same connection: that one then reached a provider, was billed and recorded as answered,
 * and its answer was never sent (an outside probe). So the connection stays open: a body read
 * whole needs nothing more, and the rest of one still arriving is drained (bounded by
 * `drainLimits`) so that the client reads the answer and a request behind it is served. Only a
 * body whose length cannot be trusted (a bad Content-Length) closes the connection.
 */
export function createErrorHandler(answerFailure: ReturnType<typeof createFailureAnswerer>, drainLimits: DrainLimits) {
  return (thrown: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const format = (request.routeOptions.config as { format?: string } | undefined)?.format ?? 'openai';
    const failure = answerFailure(thrown, format, request.record, request.body, request.id, request.url);
    reply.headers(failure.headers);
    if ((thrown as FastifyError).code !== 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
      reply.removeHeader('connection');
      drainRequestBody(request.raw, reply.raw, drainLimits);
    }
    reply.code(failure.status).type('application/json').send(failure.text);
  };
}

/** The `model` a body names, when it is a plain string of a sensible length (the ledger keeps what was asked). */
function requestedModel(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const model = (body as { model?: unknown }).model;
  return typeof model === 'string' && model.length > 0 && model.length <= maxModelNameLength ? model : null;
}

function fromFastify(error: FastifyError | Error): GatewayError {
  if (GatewayError.isInstance(error)) return error;
  // The client went away before its whole body came (Node's `aborted`): the caller's doing, as a
  // disconnect mid-stream is (docs/errors.md), not a malformed request.
  if ((error as NodeJS.ErrnoException).code === 'ECONNRESET') {
    return new GatewayError('SB_ERR_CLIENT_CLOSED', 'The client closed the connection before sending the whole body', { cause: error });
  }
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('SB_ERR_BODY_TOO_LARGE', 'The request body is too large.', { cause: error });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new GatewayError(
        'SB_ERR_INVALID_REQUEST',
        "We could not parse the JSON body of your request. The body must be a JSON object; check that it is valid JSON.",
        { cause: error },
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      // A content type Fastify cannot read (a malformed one, `;;;`): 415, as direct-routes.ts says.
      return new GatewayError('SB_ERR_INVALID_REQUEST', 'Unsupported media type: the body must be sent as application/json.', { cause: error, status: 415 });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayError('SB_ERR_INVALID_REQUEST', error.message, { cause: error });
    default:
      break;
  }
  if (error instanceof SyntaxError) {
    return new GatewayError('SB_ERR_INVALID_REQUEST', 'We could not parse the JSON body of your request.', { cause: error });
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new GatewayError(fastifyError.statusCode === 413 ? 'SB_ERR_BODY_TOO_LARGE' : 'SB_ERR_INVALID_REQUEST', error.message, {
      cause: error,
      status: fastifyError.statusCode,
    });
  }
  return toGatewayError(error);
}
