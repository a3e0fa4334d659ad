import { randomBytes } from 'node:crypto';
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
