import type { ChatResult } from './chat-result.ts';

/** A cached answer and the model that gave it. */
export interface CachedAnswer {
  result: ChatResult;
  /** The model id and provider that answered (for headers and the ledger). */
  model: string;
  provider: string;
  upstream: string;
}

/**
 * The exact-match response cache of routes with `cache: {ttl_s}` (../shared/SPEC.md). The
 * in-process implementation is src/store/memory/response-cache.ts; a shared one (Redis) would
 * implement the same port.
 */
export interface ResponseCache {
  get(key: string): CachedAnswer | undefined;
  set(key: string, answer: CachedAnswer, ttlMs: number): void;
}
