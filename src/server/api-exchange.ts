import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { EventReader } from '../core/stream-event.ts';
import type { LedgerRow } from '../core/ledger.ts';
import type { ModelInfo } from '../core/model.ts';
import type { RequestRecord } from '../ledger/request-record.ts';
import type { Identity } from './auth-hook.ts';
import type { StreamEndings } from './send-stream.ts';

/**
 * What a billable API route (chat, messages, embeddings) gets of its request, whichever way it
 * came in: straight from node:http (src/server/direct-routes.ts) or through Fastify (the requests
 * the direct path leaves to it). Authenticated, its ledger record started, its body parsed.
 */
export interface ApiExchange {
  readonly id: string;
  readonly record: RequestRecord;
  readonly identity: Identity | null;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined when empty). */
  readonly body: unknown;
  /**
   * The body's bytes, when they may be relayed to a provider as they came (valid UTF-8, a route
   * that relays). Taken once: whoever takes them holds them, not the exchange.
   */
  takeBodyBytes(): Buffer | undefined;
  /** The caller's response: its 'close' cancels the upstream call (routes/chat.ts `clientSignal`). */
  readonly response: ServerResponse;
  /** Sets a header on whatever answer the request gets: its answer, its stream or its error. */
  setHeader(name: string, value: string): void;
}

/** What an API route answers with; the edge that took the request writes it. */
export type ApiAnswer =
  /** A JSON answer: the record is finished (and journaled) just before it goes out (send-answer.ts). */
  | { kind: 'json'; model: ModelInfo; text: string }
  | { kind: 'stream'; headers: Record<string, string>; body: EventReader<string>; endings: StreamEndings };

/**
 * A route's handler. It may throw its request's errors synchronously (a malformed body) as well as
 * reject: the billable routes are plain functions returning promise chains, not async functions
 * (docs/decisions/0012-hot-path.md, nineteenth session), and both callers take either.
 */
export type ApiHandler = (exchange: ApiExchange) => Promise<ApiAnswer>;

/** How an API route is declared: its path, ingress format and ledger endpoint, and its handler. */
export interface ApiRoute {
  path: string;
  /** The ingress format: authentication and errors take its shape. */
  format: 'openai' | 'anthropic';
  endpoint: LedgerRow['endpoint'];
  /** Accept the key in `x-api-key` (Anthropic's header) as well as Authorization. */
  apiKeyHeader?: boolean;
  /** Keep the body's bytes for relaying them to a provider as they came. */
  relayBytes?: boolean;
  handler: ApiHandler;
}
