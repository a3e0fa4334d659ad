import type { AbortSignalLike } from './abort.ts';

/**
 * The upstream HTTP port adapters call through. The implementation (src/upstream/) pools
 * keep-alive connections per origin and applies the timeouts; adapters only build requests
 * and read responses.
 */

/** One HTTP request to a provider. */
export interface UpstreamRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** Aborts the call: the caller went away, the attempt's deadline passed, or a hedge won. */
  signal: AbortSignalLike;
  /** Longest wait for the response headers (the first byte, for a stream). */
  firstByteTimeoutMs: number;
  /** Longest silence between two body chunks. */
  idleTimeoutMs: number;
  /** Provider id, named in the errors this call raises. */
  provider: string;
  /**
   * Takes the provider's secrets out of a transport error's text (which may quote the URL, and
   * with it a key in the query). The adapter's redactor, built once per provider.
   */
  redact?: (text: string) => string;
  /** Told when body bytes arrive (a stream's stall timer reads it), when the caller wants to know. */
  progress?: UpstreamProgress;
}

/**
 * When the answer's body last brought bytes, written by the transport as they arrive. Bytes that
 * carry no event still show the provider alive: Anthropic's `ping` events (`Ping` in
 * ../shared/specs/anthropic/openapi.json's MessageStreamEvent, sent while it works) and SSE comment lines
 * (WHATWG HTML, "Server-sent events": a line starting with a colon, for keep-alives, as
 * OpenRouter's `: OPENROUTER PROCESSING`).
 */
export interface UpstreamProgress {
  /** `performance.now()` at the last body bytes; undefined before any. */
  lastDataAt?: number | undefined;
}

/** A provider's answer, body not yet read. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /**
   * The body's bytes as they arrive (iterate once; breaking off closes the connection). An async
   * iterable rather than a web stream: adapters read it with the gateway's lean stream stages
   * (src/streams/event-reader.ts), and a web stream (which is one too) still fits here. An
   * iterator's `return()` must close the body at once, even while a `next()` is pending. Its
   * iterator may also have `poll()`: a chunk already received (or the end) without waiting,
   * undefined when `next()` would wait (as EventReader `poll`, src/core/stream-event.ts).
   * `return(answerComplete)` rather than `return()` says the reader has the whole answer (a
   * stream's finish), which may let the body's end in so the connection is kept.
   */
  body: AsyncIterable<Uint8Array>;
  /**
   * Reads the whole body as text, up to `maxBytes` (the implementation's default when absent:
   * src/upstream/ reads answers up to 256 MiB). A longer body is not read further: its connection
   * is closed and the read fails with SB_ERR_UPSTREAM_INVALID_RESPONSE naming the limit, never the
   * body.
   */
  text(maxBytes?: number): Promise<string>;
  /** Discards the body so the connection returns to the pool. */
  discard(): Promise<void>;
}

/**
 * The reason to cancel an upstream body with once the answer it carries is complete (a stream's
 * `finish`), passed down to its iterator's `return()` (a web stream passes its cancel reason there
 * too). What is left is usually only the body's end, on its way: it is let in and dropped, so the
 * connection can go back to the pool, but an upstream that goes on sending or leaves the body
 * open has its connection closed soon after (docs/decisions/0014-upstream-calls.md). Any other
 * `return()` closes the connection at once: the provider may still be generating.
 */
export const answerComplete: unique symbol = Symbol('switchboard.answerComplete');

/** Sends requests upstream. Throws GatewayError (SB_ERR_UPSTREAM_TIMEOUT / _CONNECTION). */
export interface HttpClient {
  send(request: UpstreamRequest): Promise<UpstreamResponse>;
}

/** Fetches an image for providers that need bytes rather than a URL. */
export interface ImageFetcher {
  /** Returns the bytes and media type, or throws GatewayError SB_ERR_INVALID_REQUEST. */
  fetch(url: string, signal: AbortSignalLike): Promise<{ mediaType: string; data: Uint8Array }>;
}
