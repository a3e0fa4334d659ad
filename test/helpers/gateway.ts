import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createGateway, knownNames, type Gateway } from '../../src/app.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { LedgerRow } from '../../src/core/ledger.ts';
import { createLogger } from '../../src/telemetry/logger.ts';

/** A gateway started in-process on a free port, with a real SQLite file and captured logs. */
export interface TestGateway {
  gateway: Gateway;
  /** http://127.0.0.1:PORT */
  origin: string;
  /** http://127.0.0.1:PORT/v1, what the OpenAI SDK takes as baseURL. */
  baseURL: string;
  /** Every log line written so far. */
  logs: string[];
  /** The SQLite file (in a temp directory unless one was given). */
  databasePath: string;
  /** Ledger rows, newest first (flushes the writer first). */
  ledger(): Promise<LedgerRow[]>;
  /** The ledger row of the request an answer came from, found by its x-request-id header. */
  ledgerRow(answer: { headers: Headers }): Promise<LedgerRow | undefined>;
  close(): Promise<void>;
}

/** Where a test gateway keeps its database and which environment it reads. */
export interface TestGatewayOptions {
  /** Variables the gateway reads (SWITCHBOARD_ENCRYPTION_KEY). Default: none. */
  environment?: NodeJS.ProcessEnv;
  /** Keep the database here (and leave it on close), e.g. to restart on the same file. */
  directory?: string;
}

/** Starts a gateway from a raw config object (validated like a config file). */
export async function startGateway(raw: Record<string, unknown>, options: TestGatewayOptions = {}): Promise<TestGateway> {
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'switchboard-test-')));
  const databasePath = join(directory, 'switchboard.db');
  const storage = (raw.storage as Record<string, unknown> | undefined) ?? { url: `sqlite://${databasePath}` };
  const { config } = validateConfig({ ...raw, storage }, 'test config', {}, knownNames());
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const gateway = await createGateway(config, { logger: createLogger('debug', sink), environment: options.environment ?? {} });
  const address = await gateway.listen(0, '127.0.0.1');
  const ledger = async () => {
    await gateway.flushLedger();
    return gateway.storage.ledger.query({ limit: 10_000 });
  };
  return {
    gateway,
    origin: address,
    baseURL: `${address}/v1`,
    logs,
    databasePath,
    ledger,
    async ledgerRow(answer) {
      const requestId = answer.headers.get('x-request-id');
      return (await ledger()).find((row) => row.id === requestId);
    },
    async close() {
      await gateway.close();
      if (!options.directory) await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * The bytes of a gateway's SQLite file with its write-ahead log (recent writes may not have reached
 * the main file yet), for checking that a secret is not stored in clear.
 */
export async function databaseBytes(gateway: { databasePath: string }): Promise<Buffer> {
  return Buffer.concat([await readFile(gateway.databasePath), await readFile(`${gateway.databasePath}-wal`).catch(() => Buffer.alloc(0))]);
}

/**
 * Closes servers one after the other, in the order given: the gateway first, so that no request
 * of its is still on its way to a simulator that has already gone.
 */
export async function closeAll(...servers: Array<{ close(): Promise<unknown> }>): Promise<void> {
  for (const server of servers) await server.close();
}
