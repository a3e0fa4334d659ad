import type { CachedAnswer, ResponseCache } from '../../core/response-cache.ts';

/**
 * The response cache in this process's memory: entries expire after their route's TTL, and the
 * least recently used go first beyond `maxEntries` (a Map keeps insertion order; a hit moves its
 * entry to the end).
 */
export function createMemoryResponseCache(maxEntries = 5000, clock: () => number = Date.now): ResponseCache {
  const entries = new Map<string, { answer: CachedAnswer; expiresAt: number }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      if (entry.expiresAt <= clock()) return undefined;
      entries.set(key, entry);
      return entry.answer;
    },
    set(key, answer, ttlMs) {
      entries.delete(key);
      entries.set(key, { answer, expiresAt: clock() + ttlMs });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
  };
}
