import type { Redis } from 'ioredis';
import type { ResponseCache } from '../../core/response-cache.ts';
import type { SharedChange } from '../../core/shared-change.ts';
import type { SpendSubject } from '../../core/stores.ts';
import type { Admission } from '../../keys/limits.ts';
import { describeRedisUrl } from '../../config/storage-url.ts';
import { RedisAdmission } from './admission.ts';
import { createSharedResponseCache } from './response-cache.ts';

/**
 * What several replicas share through Redis (`storage.redis`, `REDIS_URL`; ../shared/SPEC.md
 * "Configuration": "state shared by several replicas"): rate limits and budgets
 * (src/store/redis/admission.ts), the response cache (src/store/redis/response-cache.ts), the
 * news that a key, team or runtime provider changed, so that every replica drops its cached copy
 * at once instead of after 30 s, and the news that counts (feedback, a deployment's failures).
 *
 * Redis is not where anything is kept for good: the database holds keys and the ledger. While
 * Redis cannot be reached each replica falls back to what it does without it, and says so in
 * its log once, and once again when Redis answers.
 */

export interface SharedStateLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export interface SharedState {
  /** The response cache of every replica, over this process's `local` one. */
  responseCache(local: ResponseCache): ResponseCache;
  /** Shared limits and budgets; `fallback` admits while Redis is unreachable. */
  admission(fallback: Admission, ledger: { costSince(subject: SpendSubject, from: string | undefined): Promise<number>; flushLedger(): Promise<void> }): Admission;
  /**
   * Tells every other process subscribed (the replicas, and this one's sibling workers), and
   * with `confirm` resolves once each has applied it (1 s at most). Best effort: a replica that
   * misses it (disconnected from Redis) reads a key again within 30 s.
   */
  publish(change: SharedChange, options?: { confirm?: boolean }): Promise<void>;
  /** Whether Redis answers now. */
  connected(): boolean;
  /** Applies the other replicas' changes. */
  subscribe(apply: (change: SharedChange) => void | Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export interface SharedStateOptions {
  /** Prefix of every key and of the channel (SWITCHBOARD_REDIS_PREFIX, default `switchboard:`). */
  prefix: string;
  logger: SharedStateLogger;
  /** How long the start waits for Redis before going on without it. */
  connectTimeoutMs?: number;
}

/** How long a change's publisher waits for every replica to confirm it applied it. */
const confirmTimeoutMs = 1_000;

/** How long a command may take before the request goes on without Redis. */
const commandTimeoutMs = 1_000;

export async function openSharedState(url: string, options: SharedStateOptions): Promise<SharedState> {
  // Loaded only when Redis is configured, as the PostgreSQL driver is.
  const { Redis: Client } = await import('ioredis');
  const where = describeRedisUrl(url);
  const connectTimeout = options.connectTimeoutMs ?? 2_000;
  const settings = {
    // A command while disconnected fails at once (the fallback admits) instead of waiting in a queue.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout,
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
  };
  const client: Redis = new Client(url, settings);
  let subscriber: Redis | undefined;
  let reachable = true;
  const reachability = (now: boolean, error?: unknown) => {
    if (now === reachable) return;
    reachable = now;
    if (now) options.logger.info({ redis: where }, 'Redis answers again: rate limits and budgets are shared by the replicas again');
    else options.logger.warn({ redis: where, err: error instanceof Error ? { message: error.message } : undefined }, 'Redis cannot be reached: rate limits and budgets are counted by each replica alone until it answers');
  };
  // ioredis reports each failed reconnection as an 'error' event: the transitions are what the log needs.
  client.on('error', (error: unknown) => reachability(false, error));
  client.on('ready', () => reachability(true));
  await waitReady(client, connectTimeout).catch((error: unknown) => reachability(false, error));
  const channel = `${options.prefix}changes`;
  const origin = Math.random().toString(36).slice(2, 12);
  const confirmChannel = `${options.prefix}changes:applied`;
  const admissions: RedisAdmission[] = [];
  let sequence = 0;
  const pending = new Map<string, { confirm(): void }>();
  /** Counts the confirmations of one published change as they arrive (some may before PUBLISH answers). */
  const awaitConfirmations = (id: string) => {
    let count = 0;
    let wake: (() => void) | undefined;
    pending.set(id, {
      confirm: () => {
        count += 1;
        wake?.();
      },
    });
    return {
      async reached(expected: number, timeoutMs: number): Promise<boolean> {
        const deadline = Date.now() + timeoutMs;
        while (count < expected) {
          const left = deadline - Date.now();
          if (left <= 0) return false;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, left);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        return true;
      },
      release: () => pending.delete(id),
    };
  };
  return {
    responseCache: (local) => createSharedResponseCache({ client, prefix: options.prefix, local }),
    admission(fallback, ledger) {
      const admission = new RedisAdmission({ client, prefix: options.prefix, fallback, ...ledger, reachability });
      admissions.push(admission);
      return admission;
    },
    connected: () => client.status === 'ready',
    async publish(change, { confirm = true } = {}) {
      if (client.status !== 'ready') return;
      const id = `${origin}:${(sequence += 1).toString(36)}`;
      const confirmations = confirm && subscriber ? awaitConfirmations(id) : undefined;
      try {
        const receivers = await client.publish(channel, JSON.stringify({ origin, id, change, confirm }));
        // Each subscribed process, this one included, confirms once it has applied the change: the
        // admin call answers once every replica drops its copy (a revoked key is refused everywhere).
        if (confirmations && !(await confirmations.reached(receivers, confirmTimeoutMs))) {
          options.logger.warn({ change: change.kind }, `not every replica confirmed a change within ${confirmTimeoutMs} ms (${change.kind}); a key or team change reaches them within 30 s`);
        }
      } catch (error) {
        options.logger.warn({ err: { message: (error as Error).message }, change: change.kind }, 'could not tell the other replicas of a change through Redis; they read it within 30 s');
      } finally {
        confirmations?.release();
      }
    },
    async subscribe(apply) {
      // Its SUBSCRIBE waits for the connection; ioredis subscribes again after each reconnection.
      subscriber = client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
      subscriber.on('error', () => undefined);
      subscriber.on('message', (from: string, message: string) => {
        let parsed: { origin?: unknown; id?: unknown; change?: SharedChange; confirm?: unknown };
        try {
          parsed = JSON.parse(message) as typeof parsed;
        } catch {
          return;
        }
        if (from === confirmChannel) {
          if (typeof parsed.id === 'string') pending.get(parsed.id)?.confirm();
          return;
        }
        if (!parsed.change || typeof parsed.id !== 'string') return;
        const applied = parsed.origin === origin ? Promise.resolve() : Promise.resolve().then(() => apply(parsed.change!));
        const id = parsed.id;
        const settled = applied.catch((error: unknown) => options.logger.warn({ err: { message: (error as Error).message } }, 'could not apply a change announced by another replica'));
        if (parsed.confirm === true) settled.then(() => client.publish(confirmChannel, JSON.stringify({ id }))).catch(() => undefined);
      });
      const subscribed = subscriber.subscribe(channel, confirmChannel).catch((error: unknown) => reachability(false, error));
      await Promise.race([subscribed, new Promise((resolve) => setTimeout(resolve, connectTimeout).unref())]);
    },
    async close() {
      for (const admission of admissions) admission.close();
      await Promise.allSettled([client.quit(), subscriber?.quit()]);
      client.disconnect();
      subscriber?.disconnect();
    },
  };
}

function waitReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', ready);
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const ready = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', ready);
  });
}
