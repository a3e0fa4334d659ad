import cluster from 'node:cluster';
import type { Socket } from 'node:net';
import { GatewayError } from '../core/errors.ts';
import type { BudgetPeriod, SpendPolicy } from '../core/governance.ts';
import type { Admission, Demand, SpendStatus, SpendSubjectRef, Ticket, Usage } from '../keys/limits.ts';
import type { SharedChange } from '../core/shared-change.ts';
import { handedConnection, isHandedConnection, type PrimaryMethods, type WorkerMethods, type WorkerMetrics, type WorkerSetup } from './protocol.ts';
import { RpcPeer } from './rpc.ts';

/** Set in the environment of the workers the primary forks (src/cluster/primary.ts). */
export const workerMarker = 'SWITCHBOARD_CLUSTER_WORKER';

/** True in a worker the Switchboard primary forked (not in a process another cluster manager runs). */
export function isClusterWorker(): boolean {
  return cluster.isWorker && process.env[workerMarker] === '1';
}

/** What a worker's gateway serves to the primary. */
export interface WorkerHandlers {
  /** Another worker changed a key, team or provider, or recorded feedback: apply it here. */
  apply(change: SharedChange): Promise<void>;
  /** Write this worker's queued ledger rows. */
  flushLedger(): Promise<void>;
  metrics(): Promise<WorkerMetrics>;
}

/** What a worker's gateway gets from the cluster (app.ts wires it in). */
export interface ClusterLink {
  readonly slot: number;
  /** How many workers share the port. */
  readonly workers: number;
  /** The primary's instance on the database file, which names this worker's journal. */
  readonly instance: number;
  /** Limits and budgets, held by the primary for all workers. */
  readonly admission: Admission;
  /** Tells the other workers of an /admin change; resolves once each has applied it. */
  announce(change: SharedChange): Promise<void>;
  /** Every worker (this one too) writes its queued ledger rows; resolves when all have. */
  flushAllLedgers(): Promise<void>;
  /** All workers' metrics, aggregated by the primary (Prometheus text). */
  clusterMetrics(): Promise<string>;
  /** Installs the handlers; changes announced while the gateway was being built are applied first. */
  serve(handlers: WorkerHandlers): Promise<void>;
}

/** A worker's end of the channel to the primary. */
export interface WorkerConnection {
  setup: WorkerSetup;
  link: ClusterLink;
  /** Tells the primary this worker takes connections from now on, each served by `serve`. */
  listening(serve: (socket: Socket) => boolean): void;
  /** Tells the primary to hand this worker no more connections (it drains). */
  draining(): void;
  /** After the drain: hands the primary this worker's final metrics, which its /metrics keeps counting. */
  retire(): Promise<void>;
}

/** Says hello to the primary and receives this worker's setup (its slot and the config). */
export async function connectToPrimary(): Promise<WorkerConnection> {
  const peer = new RpcPeer<WorkerMethods, PrimaryMethods>((envelope, done) => {
    process.send!(envelope, undefined, {}, done);
  });
  let accept: ((socket: Socket) => boolean) | undefined;
  process.on('message', (message, handle) => {
    if (!isHandedConnection(message)) {
      peer.receive(message);
      return;
    }
    // Answered in the turn it arrives, before the socket is read: one handed back (draining)
    // goes to another worker whole, and the primary lets go of one taken.
    // No handle: the primary's socket was closed before it could be sent.
    const socket = handle as Socket | undefined;
    const taken = socket !== undefined && (accept?.(socket) ?? false);
    if (!taken) socket?.destroy(); // this process's descriptor; the primary keeps its own
    peer.notify('handed', { id: message[handedConnection], taken });
  });
  process.once('disconnect', () => peer.close(new GatewayError('SB_ERR_UNAVAILABLE', 'The Switchboard cluster primary is gone.')));
  let handlers: WorkerHandlers | undefined;
  const early: SharedChange[] = [];
  peer.handle('apply', async (change) => {
    if (handlers) await handlers.apply(change);
    else early.push(change);
  });
  peer.handle('flush', async () => {
    await handlers?.flushLedger();
  });
  peer.handle('metrics', async () => (handlers ? handlers.metrics() : []));
  const setup = await peer.call('hello', undefined);
  const link: ClusterLink = {
    slot: setup.slot,
    workers: setup.workers,
    instance: setup.instance,
    admission: new RemoteAdmission(peer),
    announce: (change) => peer.call('announce', change, 10_000),
    flushAllLedgers: () => peer.call('flushAll', undefined, 15_000),
    clusterMetrics: () => peer.call('metrics', undefined, 10_000),
    async serve(installed) {
      handlers = installed;
      for (const change of early.splice(0)) await installed.apply(change);
    },
  };
  return {
    setup,
    link,
    listening: (serve) => {
      accept = serve;
      peer.notify('listening', undefined);
    },
    draining: () => peer.notify('draining', undefined),
    retire: async () => {
      if (!handlers) return;
      await peer.call('retire', await handlers.metrics(), 2_000).catch(() => undefined);
    },
  };
}

/**
 * Admission through the primary: one round trip per request whose key or team has a limit or
 * a budget (others never get here: src/keys/governance.ts), and a notification to settle.
 */
class RemoteAdmission implements Admission {
  readonly #peer: RpcPeer<WorkerMethods, PrimaryMethods>;

  constructor(peer: RpcPeer<WorkerMethods, PrimaryMethods>) {
    this.#peer = peer;
  }

  async admit(policies: readonly SpendPolicy[], demand: Demand): Promise<Ticket> {
    // The estimates are computed here (counting tokens costs microseconds), only when a limit reads them.
    const needsCost = policies.some((policy) => policy.budgetUsd !== undefined);
    const needsTokens = policies.some((policy) => policy.tpm !== undefined || Object.values(policy.modelLimits).some((limits) => limits.tpm !== undefined));
    const ticket = await this.#peer.call('admit', {
      policies,
      requested: demand.requested,
      costUsd: needsCost ? demand.estimatedCostUsd() : 0,
      tokens: needsTokens ? demand.estimatedTokens() : 0,
    });
    let settled = false;
    return {
      settle: (usage) => {
        if (settled) return;
        settled = true;
        // Only what settling reads: the ledger row passed in carries much more.
        this.#peer.notify('settle', { ticket, usage: { time: usage.time, costUsd: usage.costUsd, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens } });
      },
    };
  }

  spend(kind: SpendPolicy['kind'], subject: string, period: BudgetPeriod): Promise<SpendStatus> {
    return this.#peer.call('spend', { kind, subject, period });
  }

  recordSpend(subjects: readonly SpendSubjectRef[], usage: Usage): void {
    if (usage.costUsd === 0) return;
    this.#peer.notify('spent', { subjects: [...subjects], usage: { time: usage.time, costUsd: usage.costUsd, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens } });
  }
}
