import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Catalog } from './catalog/index.ts';
import type { ClusterLink } from './cluster/worker-link.ts';
import type { Config } from './config/schema.ts';
import type { Storage } from './core/stores.ts';

/** A gateway as src/app.ts builds it (createGateway) and src/main.ts and the tests run it. */

/** Options mostly for tests: where logs go. */
export interface GatewayOptions {
  logger?: Logger;
  catalog?: Catalog;
  /** Where SWITCHBOARD_ENCRYPTION_KEY is read (default: process.env). */
  environment?: NodeJS.ProcessEnv;
  /** Set in a worker of `--workers N`: limits, /admin changes, ledger flushes and metrics go through the primary. */
  cluster?: ClusterLink;
}

/** A running gateway's parts and lifecycle. */
export interface Gateway {
  server: FastifyInstance;
  config: Config;
  logger: Logger;
  storage: Storage;
  /** Starts listening; resolves with the bound address. */
  listen(port: number, host: string): Promise<string>;
  /**
   * A worker of `--workers N`: serves the connections its primary hands over instead
   * (src/server/handed-connections.ts). The function serves one; it returns false, and leaves
   * the connection untouched, once the gateway drains.
   */
  serveHanded(): Promise<(socket: Socket) => boolean>;
  /**
   * Stops taking requests, lets in-flight ones (streams too) finish until `drainTimeoutMs`
   * (default: server.drain_timeout_ms), ends those left with an error, flushes the ledger.
   */
  close(drainTimeoutMs?: number): Promise<void>;
  /** Flushes queued ledger rows now (tests and admin reads). */
  flushLedger(): Promise<void>;
}
