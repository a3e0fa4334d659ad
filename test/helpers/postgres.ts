import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';

/**
 * The machine's PostgreSQL (127.0.0.1:5432, trust auth, database `test`; `.ci/run` starts it when
 * it is down). `SWITCHBOARD_TEST_POSTGRES` points the tests at another server.
 */
export const testPostgresServer = process.env.SWITCHBOARD_TEST_POSTGRES || 'postgres://postgres@127.0.0.1:5432/test';

/** A schema of its own for one test: its URL (search_path set to it) and a way to drop it. */
export interface TestSchema {
  name: string;
  /** A storage URL whose connections work in this schema alone. */
  url: string;
  /** Runs SQL in the schema (to read what the gateway wrote, or to break it). */
  query<Row extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
  drop(): Promise<void>;
}

export async function createTestSchema(): Promise<TestSchema> {
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testPostgresServer });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(testPostgresServer);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    name,
    url: url.href,
    async query(text, values) {
      const client = new pg.Client({ connectionString: url.href });
      await client.connect();
      try {
        return (await client.query(text, values)).rows;
      } finally {
        await client.end();
      }
    },
    async drop() {
      const client = new pg.Client({ connectionString: testPostgresServer });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * A TCP proxy to the test server, to cut a gateway off from its database without touching the
 * server other tests use: `freeze` stops passing bytes on while keeping the connections open (a
 * server gone silent), `close` ends them and stops listening (a server gone).
 */
export function postgresProxy(): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
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
