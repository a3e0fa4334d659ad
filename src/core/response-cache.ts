import type { WireFormat } from './chat-request.ts';
import type { ChatResult } from './chat-result.ts';
import type { NativeChunkEvent } from './stream-event.ts';

/** A streamed answer's chunks as its provider sent them, in the caller's wire format. */
export interface NativeStream {
  format: WireFormat;
  chunks: NativeChunkEvent[];
}

/** A cached answer and the model that gave it. */
export interface CachedAnswer {
  result: ChatResult;
  /** Set when the answer was streamed verbatim: a streamed hit in the same format replays these. */
  stream?: NativeStream;
  /** The model id and provider that answered (for headers and the ledger). */
  model: string;
  provider: string;
  upstream: string;
}

/**
 * The exact-match response cache of routes with `cache: {ttl_s}` (../shared/SPEC.md). The
 * in-process implementation is src/store/memory/response-cache.ts, answering at once; the one
 * shared by replicas (src/store/redis/response-cache.ts) answers a local miss with a promise.
 */
export interface ResponseCache {
  get(key: string): CachedAnswer | undefined | Promise<CachedAnswer | undefined>;
  set(key: string, answer: CachedAnswer, ttlMs: number): void;
}
