import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.ts';
import type { BudgetPeriod, SpendPolicy } from '../core/governance.ts';
import type { SharedChange } from '../core/shared-change.ts';
import type { SpendStatus, SpendSubjectRef, Usage } from '../keys/limits.ts';

/**
 * What the cluster primary and its workers say to each other (src/cluster/rpc.ts carries it;
 * docs/decisions/0008-workers.md explains why each exists).
 */

/** What a worker needs to start: its slot and the config the primary validated. */
export interface WorkerSetup {
  slot: number;
  /** How many workers share the port. */
  workers: number;
  config: Config;
  /** The primary's instance on the database file: the worker's journal is named by it and the slot (src/ledger/recovery.ts). */
  instance: number;
}

/** An admission as a worker asks for it: the estimates are computed there, only when a limit needs them. */
export interface AdmitParams {
  policies: readonly SpendPolicy[];
  requested: string;
  costUsd: number;
  tokens: number;
}

/** One worker's metrics, as prom-client's aggregation takes them. */
export type WorkerMetrics = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** Served by the primary, called by workers. */
export type PrimaryMethods = {
  hello: [undefined, WorkerSetup];
  /** The worker takes connections from now on. */
  listening: [undefined, void];
  /** The worker drains: it takes no more connections. */
  draining: [undefined, void];
  /** The worker has connection `id` (`taken`), or handed it back unread. */
  handed: [{ id: number; taken: boolean }, void];
  admit: [AdmitParams, number];
  settle: [{ ticket: number; usage: Usage }, void];
  spent: [{ subjects: SpendSubjectRef[]; usage: Usage }, void];
  spend: [{ kind: SpendPolicy['kind']; subject: string; period: BudgetPeriod }, SpendStatus];
  announce: [SharedChange, void];
  flushAll: [undefined, void];
  metrics: [undefined, string];
  /** A worker that drained: its final metrics, which the primary's /metrics keeps counting. */
  retire: [WorkerMetrics, void];
};

/** Served by workers, called by the primary. */
export type WorkerMethods = {
  apply: [SharedChange, void];
  flush: [undefined, void];
  metrics: [undefined, WorkerMetrics];
};

/**
 * The message a connection is handed to a worker with (node's IPC, the socket alongside;
 * src/cluster/connection-dealer.ts). Not an RPC envelope: the socket must travel with it.
 */
export const handedConnection = 'switchboardConnection';

export function isHandedConnection(message: unknown): message is { [handedConnection]: number } {
  return typeof message === 'object' && message !== null && typeof (message as Record<string, unknown>)[handedConnection] === 'number';
}
