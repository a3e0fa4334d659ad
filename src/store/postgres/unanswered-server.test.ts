import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { storeRow } from '../../../test/helpers/ledger-row.ts';
import { createTestSchema, testPostgresServer, type TestSchema } from '../../../test/helpers/postgres.ts';
import type { Storage } from '../../core/stores.ts';
import { openPostgresStorage } from './index.ts';

const row = (id: string) => storeRow({ id, team: null });

/** A TCP proxy to the test server that can stop passing bytes on while keeping its connections open. */
function freezingProxy(): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
  const target = new URL(testPostgresServer);
  const sockets = new Set<Socket>();
  let frozen = false;
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (data) => void (frozen || upstream.write(data)));
    upstream.on('data', (data) => void (frozen || client.write(data)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as { port: number }).port,
        freeze: () => void (frozen = true),
        close: () => {
          for (const socket of sockets) socket.destroy();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}

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
    const proxy = await freezingProxy();
    let storage: Storage | undefined;
    try {
      const url = new URL(schema.url);
      url.host = `127.0.0.1:${proxy.port}`;
      storage = await openPostgresStorage(url.href, { queryTimeoutMillis: 1_000 });
      await storage.ledger.append([row('before')]);
      proxy.freeze();
      await assert.rejects(within(storage.ledger.append([row('unanswered')]), 5_000, 'the ledger batch'), /Query read timeout/);
      await within(storage.close(), 5_000, 'close');
      storage = undefined;
    } finally {
      await proxy.close();
      await storage?.close().catch(() => undefined);
    }
  });
});
