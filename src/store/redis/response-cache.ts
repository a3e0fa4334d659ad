import type { Redis } from 'ioredis';
import type { CachedAnswer, ResponseCache } from '../../core/response-cache.ts';

/**
 * The response cache shared by replicas (routes with `cache: {ttl_s}`, `storage.redis`): this
 * process's memory first, answering at once, then Redis, so that a request answered by one
 * replica is a hit on the others until its TTL. What Redis holds is copied into memory for the
 * time it has left. Redis slower than `waitMs`, unreachable, or holding what cannot be read is a
 * miss: a cache never holds a request back for long, nor fails it.
 */
export interface SharedResponseCacheOptions {
  client: Redis;
  prefix: string;
  local: ResponseCache;
  /** How long a lookup waits for Redis before it counts as a miss. */
  waitMs?: number;
  /** Answers larger than this (serialised) stay in this process's memory only. */
  maxEntryBytes?: number;
  clock?: () => number;
}

interface StoredEntry {
  expiresAt: number;
  answer: CachedAnswer;
}

export function createSharedResponseCache(options: SharedResponseCacheOptions): ResponseCache {
  const { client, local } = options;
  const waitMs = options.waitMs ?? 200;
  const maxEntryBytes = options.maxEntryBytes ?? 1024 * 1024;
  const clock = options.clock ?? Date.now;
  const keyOf = (key: string) => `${options.prefix}cache:${key}`;
  return {
    get(key) {
      const held = local.get(key);
      if (held !== undefined || client.status !== 'ready') return held;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(resolve, waitMs, undefined);
      });
      const read = client.get(keyOf(key)).then(
        (text) => {
          const entry = text === null ? undefined : readEntry(text);
          if (entry === undefined) return undefined;
          const left = entry.expiresAt - clock();
          if (left <= 0) return undefined;
          local.set(key, entry.answer, left);
          return entry.answer;
        },
        () => undefined,
      );
      return Promise.race([read, late]).finally(() => clearTimeout(timer));
    },
    set(key, answer, ttlMs) {
      local.set(key, answer, ttlMs);
      if (client.status !== 'ready') return;
      const text = JSON.stringify({ expiresAt: clock() + ttlMs, answer } satisfies StoredEntry);
      if (Buffer.byteLength(text) > maxEntryBytes) return;
      client.set(keyOf(key), text, 'PX', ttlMs).catch(() => undefined);
    },
  };
}

/**
 * What Redis holds under a cache key, if it is an entry this version can answer with: anything
 * else (not JSON, another shape: a replica of another version, a key written by hand) is a miss,
 * not a failed request (a SyntaxError here reached the caller as "could not parse the JSON body
 * of your request", a TypeError as a 500).
 */
function readEntry(text: string): StoredEntry | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { expiresAt, answer } = entry as Partial<Record<keyof StoredEntry, unknown>>;
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt) || typeof answer !== 'object' || answer === null) return undefined;
  const { result, model, provider, upstream } = answer as Partial<Record<keyof CachedAnswer, unknown>>;
  if (typeof model !== 'string' || typeof provider !== 'string' || typeof upstream !== 'string') return undefined;
  if (typeof result !== 'object' || result === null) return undefined;
  const { content, usage, warnings } = result as Partial<Record<string, unknown>>;
  if (!Array.isArray(content) || typeof usage !== 'object' || usage === null || !Array.isArray(warnings)) return undefined;
  return entry as StoredEntry;
}
