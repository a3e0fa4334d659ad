import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * The machine's Redis (127.0.0.1:6379; `.ci/run` starts it when it is down).
 * `SWITCHBOARD_TEST_REDIS` points the tests at another server. Each test works under a key
 * prefix of its own (SWITCHBOARD_REDIS_PREFIX for a gateway), removed when it ends.
 */
export const testRedisUrl = process.env.SWITCHBOARD_TEST_REDIS || 'redis://127.0.0.1:6379';

export interface TestRedis {
  prefix: string;
  client: Redis;
  /** Keys under the prefix. */
  keys(): Promise<string[]>;
  /** Removes the prefix's keys and disconnects. */
  drop(): Promise<void>;
}

/** Resolves once every client is connected (clients made with no offline queue refuse commands before). */
export async function connected(clients: readonly Redis[]): Promise<void> {
  for (const client of clients) if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
}

export async function createTestRedis(): Promise<TestRedis> {
  const prefix = `sb_test_${randomBytes(6).toString('hex')}:`;
  const client = new Redis(testRedisUrl, { maxRetriesPerRequest: 1 });
  const keys = async () => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return found;
  };
  return {
    prefix,
    client,
    keys,
    async drop() {
      const found = await keys();
      if (found.length > 0) await client.del(...found);
      client.disconnect();
    },
  };
}
