import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { storeRow } from '../../../test/helpers/ledger-row.ts';
import { createTestSchema, postgresProxy, type TestSchema } from '../../../test/helpers/postgres.ts';
import { GatewayError } from '../../core/errors.ts';
import type { Storage } from '../../core/stores.ts';
import { openPostgresStorage } from './index.ts';

const row = (id: string) => storeRow({ id, team: null });

/** The promise's outcome, or a rejection naming what was still waiting after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// A server that stops answering without closing its connections (powered off, a failover moving
// its address, packets dropped): a ledger batch sent just before must fail, not wait for good.
describe('PostgreSQL storage: a server that stops answering', () => {
  let schema: TestSchema;
  before(async () => {
    schema = await createTestSchema();
  });
  after(async () => {
    await schema?.drop();
  });

  it('fails a query left unanswered, and closes, instead of waiting for good', async () => {
    const proxy = await postgresProxy();
    let storage: Storage | undefined;
    try {
      const url = new URL(schema.url);
      url.host = `127.0.0.1:${proxy.port}`;
      storage = await openPostgresStorage(url.href, { queryTimeoutMillis: 1_000 });
      await storage.ledger.append([row('before')]);
      proxy.freeze();
      await assert.rejects(within(storage.ledger.append([row('unanswered')]), 5_000, 'the ledger batch'), (error: Error) => {
        assert.ok(GatewayError.isInstance(error) && error.code === 'SB_ERR_UNAVAILABLE' && error.status === 503, String(error));
        assert.match(String((error.cause as Error | undefined)?.message), /Query read timeout/);
        return true;
      });
      await within(storage.close(), 5_000, 'close');
      storage = undefined;
    } finally {
      await proxy.close();
      await storage?.close().catch(() => undefined);
    }
  });

  it('answers a store call while the server cannot be reached with a 503 to retry, not an internal error', async () => {
    const proxy = await postgresProxy();
    const url = new URL(schema.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const storage = await openPostgresStorage(url.href);
    try {
      assert.equal(await storage.keys.get('key_none'), undefined);
      await proxy.close();
      for (const call of [() => storage.keys.findByHash('ab'.repeat(32)), () => storage.ledger.query({ limit: 1 }), () => storage.teams.list()]) {
        await assert.rejects(call(), (error: Error) => {
          assert.ok(GatewayError.isInstance(error), String(error));
          assert.equal(error.code, 'SB_ERR_UNAVAILABLE');
          assert.equal(error.retryAfterSeconds, 5);
          assert.doesNotMatch(error.message, /127\.0\.0\.1|ECONNREFUSED/, 'the database host is not told to callers');
          return true;
        });
      }
    } finally {
      await storage.close().catch(() => undefined);
    }
  });
});
