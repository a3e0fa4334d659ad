import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { connected, createTestRedis, testRedisUrl, type TestRedis } from '../../../test/helpers/redis.ts';
import type { CachedAnswer } from '../../core/response-cache.ts';
import { createMemoryResponseCache } from '../memory/response-cache.ts';
import { createSharedResponseCache } from './response-cache.ts';

const answer = (text: string): CachedAnswer => ({
  result: { id: 'chatcmpl-1', model: 'gpt-4o', created: 1, content: [{ type: 'text', text }], finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 2 }, warnings: [] },
  model: 'quick',
  provider: 'oai',
  upstream: 'gpt-4o',
});

describe('the response cache shared by replicas through Redis', () => {
  let redis: TestRedis;
  const clients: Redis[] = [];
  const replica = (options: { url?: string; maxEntryBytes?: number } = {}) => {
    const client = new Redis(options.url ?? testRedisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    clients.push(client);
    return createSharedResponseCache({ client, prefix: redis.prefix, local: createMemoryResponseCache(), ...(options.maxEntryBytes ? { maxEntryBytes: options.maxEntryBytes } : {}) });
  };
  const ready = () => connected(clients);

  before(async () => {
    redis = await createTestRedis();
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    await redis.drop();
  });

  it("reads another replica's answer, then holds it in memory for the time it has left", async () => {
    const [first, second] = [replica(), replica()];
    await ready();
    first.set('k1', answer('shared'), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const read = second.get('k1');
    assert.ok(read instanceof Promise, 'a local miss asks Redis');
    assert.deepEqual(await read, answer('shared'));
    assert.deepEqual(second.get('k1'), answer('shared'), 'then answers from memory at once');
    const ttl = await redis.client.pttl(`${redis.prefix}cache:k1`);
    assert.ok(ttl > 59_000 && ttl <= 60_000, `Redis expires it with the route's TTL: ${ttl} ms`);
  });

  it('misses, without failing the request, on what it cannot read in Redis', async () => {
    const reader = replica();
    await ready();
    const garbage = [
      'not json',
      'null',
      '42',
      JSON.stringify({ expiresAt: 'later', answer: answer('x') }),
      JSON.stringify({ expiresAt: Date.now() + 60_000, answer: { model: 'quick' } }),
      JSON.stringify({ expiresAt: Date.now() + 60_000, answer: { ...answer('x'), result: { id: 'c' } } }),
    ];
    for (const [index, text] of garbage.entries()) {
      await redis.client.set(`${redis.prefix}cache:garbage${index}`, text, 'PX', 60_000);
      assert.equal(await reader.get(`garbage${index}`), undefined, text);
      assert.equal(reader.get(`garbage${index}`) instanceof Promise, true, `not kept in memory: ${text}`);
    }
  });

  it('keeps an answer larger than the bound in memory only, and misses when Redis is unreachable', async () => {
    const small = replica({ maxEntryBytes: 100 });
    await ready();
    small.set('big', answer('x'.repeat(200)), 60_000);
    assert.ok(small.get('big'), 'still cached in this process');
    assert.equal(await redis.client.exists(`${redis.prefix}cache:big`), 0);
    const unreachable = replica({ url: 'redis://127.0.0.1:1' });
    assert.equal(unreachable.get('k1'), undefined, 'a miss at once, without waiting for Redis');
  });
});
