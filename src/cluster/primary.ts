import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { GatewayError } from '../core/errors.ts';
import type { Admission } from '../keys/limits.ts';
import { youngGenerationFlags } from '../../scripts/runtime-flags.js';
import { AdmissionArbiter } from './arbiter.ts';
import { ConnectionDealer, type Seat } from './connection-dealer.ts';
import type { SharedChange } from '../core/shared-change.ts';
import { handedConnection, type PrimaryMethods, type WorkerMethods, type WorkerMetrics, type WorkerSetup } from './protocol.ts';
import { RpcPeer } from './rpc.ts';
import { workerMarker } from './worker-link.ts';

/**
 * `switchboard serve --workers N`: the primary listens on the port, forks N workers and hands
 * them the connections in turn (src/cluster/connection-dealer.ts), and is the one place that
 * holds what must be shared: rate windows and budgets (src/cluster/arbiter.ts), and the relay
 * that makes an /admin change on one worker reach the others before it answers. It replaces a
 * worker that dies (at once, then with growing delays while it keeps dying young), and on
 * SIGTERM drains every worker and exits when all have. See docs/decisions/0008-workers.md.
 */

/** What the primary opens for itself (app.ts): the engine over the shared store. */
export interface PrimaryParts {
  admission: Admission;
  /** This cluster's instance on the database file (its workers' journals are named by it). */
  instance: number;
  /** Writes the rows every ledger journal on disk holds (no worker running). */
  recoverJournals(): Promise<void>;
  close(): Promise<void>;
}

export interface PrimaryOptions {
  workers: number;
  config: Config;
  port: number;
  host: string;
  logger: Logger;
  /** Opens the primary's parts; `flushWorkers` makes every worker write its queued ledger rows. */
  open(flushWorkers: () => Promise<void>): Promise<PrimaryParts>;
  /** Every worker takes connections: print the banner (once). */
  onListening(address: string): void;
  /** Why the port could not be bound, in one line. */
  listenProblem(error: unknown): string;
  /** A worker exited before every worker listened: the cluster stops (exit code 1). */
  onStartFailed(message: string): void;
}

/** A worker that dies younger than this counts as crashing in a row. */
const youngMs = 30_000;
/** How long the primary waits for a worker's answer to a flush, change or metrics request. */
const workerCallMs = 5_000;

/** How long to wait before replacing a worker that died young `streak` times in a row. */
export function restartDelay(streak: number): number {
  if (streak <= 1) return 0;
  return Math.min(30_000, 500 * 2 ** (streak - 2));
}

interface Member {
  slot: number;
  worker: Worker;
  peer: RpcPeer<PrimaryMethods, WorkerMethods>;
  startedAt: number;
  /** It has asked for its setup: it gets flush and change requests from now on. */
  greeted: boolean;
  /** It has taken connections (said it listens) since it started. */
  listening: boolean;
  seat: Seat;
  /** Its metrics as last read (a scrape, or its own at the end of a drain), counted once it is gone. */
  lastMetrics?: WorkerMetrics;
}

/** Runs the cluster until it has stopped; resolves with the process's exit code. */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  return new Supervisor(options).run();
}

class Supervisor {
  readonly #options: PrimaryOptions;
  readonly #logger: Logger;
  readonly #members = new Map<number, Member>();
  readonly #streaks = new Map<number, number>();
  readonly #restarts = new Map<number, NodeJS.Timeout>();
  #arbiter: AdmissionArbiter | undefined;
  #dealer: ConnectionDealer | undefined;
  #address = '';
  #parts: PrimaryParts | undefined;
  #started = false;
  #stopping = false;
  #exitCode = 0;
  #finished: ((code: number) => void) | undefined;
  /** What workers that are gone counted (src/telemetry/cluster-metrics.ts, `retire`). */
  #retired: Promise<WorkerMetrics | undefined> = Promise.resolve(undefined);

  constructor(options: PrimaryOptions) {
    this.#options = options;
    this.#logger = options.logger;
  }

  async run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.#finished = resolve));
    // Every SIGTERM (a supervisor may send more than one): a second must not kill the primary
    // while its workers drain. A second Ctrl-C does end it at once.
    process.on('SIGTERM', () => this.#stop('SIGTERM'));
    process.once('SIGINT', () => this.#stop('SIGINT'));
    this.#parts = await this.#options.open(() => this.#flushAll());
    this.#arbiter = new AdmissionArbiter(this.#parts.admission);
    if (!this.#stopping) {
      const dealer = new ConnectionDealer((reason) => this.#logger.warn({ reason }, 'a connection was closed unread: no worker could take it'));
      try {
        this.#address = await dealer.listen(this.#options.port, this.#options.host);
        this.#dealer = dealer;
      } catch (error) {
        this.#options.onStartFailed(this.#options.listenProblem(error));
        this.#exitCode = 1;
        this.#stopping = true;
      }
    }
    if (this.#stopping) this.#finish();
    else {
      cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS) });
      for (let slot = 1; slot <= this.#options.workers; slot += 1) this.#fork(slot);
    }
    return done;
  }

  #fork(slot: number): void {
    const worker = cluster.fork({ [workerMarker]: '1' });
    const peer = new RpcPeer<PrimaryMethods, WorkerMethods>(
      (envelope, sent) => {
        worker.send(envelope, undefined, {}, sent);
      },
      { onNotifyError: (method, error) => this.#logger.error({ slot, method, err: error }, 'a worker notification failed') },
    );
    const seat: Seat = {
      slot,
      give: (id, socket, failed) => {
        // keepOpen: the primary holds the connection until the worker says it has it.
        worker.send({ [handedConnection]: id }, socket, { keepOpen: true }, (error: Error | null) => {
          if (error) failed();
        });
      },
    };
    const member: Member = { slot, worker, peer, startedAt: Date.now(), greeted: false, listening: false, seat };
    this.#members.set(slot, member);
    const arbiter = this.#arbiter!;
    peer.handle('hello', (): WorkerSetup => {
      member.greeted = true;
      const { workers, config } = this.#options;
      return { slot, workers, config, instance: this.#parts!.instance };
    });
    peer.handle('listening', () => {
      member.listening = true;
      if (!this.#stopping) this.#dealer?.seat(seat);
      this.#logger.info({ slot, pid: worker.process.pid }, 'worker listening');
      if (!this.#started && [...this.#members.values()].filter((each) => each.listening).length === this.#options.workers) {
        this.#started = true;
        this.#options.onListening(this.#address);
      }
    });
    peer.handle('draining', () => this.#dealer?.unseat(seat, false));
    peer.handle('handed', ({ id, taken }) => this.#dealer?.answered(seat, id, taken));
    peer.handle('admit', (params) => arbiter.admit(worker.id, params));
    peer.handle('settle', ({ ticket, usage }) => arbiter.settle(worker.id, ticket, usage));
    peer.handle('spend', (params) => arbiter.spend(params));
    peer.handle('spent', ({ subjects, usage }) => arbiter.recordSpend(subjects, usage));
    peer.handle('announce', (change) => this.#relay(member, change));
    peer.handle('flushAll', () => this.#flushAll());
    peer.handle('metrics', () => this.#metrics());
    peer.handle('retire', (final) => {
      member.lastMetrics = final;
    });
    worker.on('message', (message: unknown) => peer.receive(message));
    worker.on('error', (error) => this.#logger.warn({ slot, err: error }, 'worker channel error'));
    this.#logger.info({ slot, pid: worker.process.pid }, 'worker started');
    // Released only once the channel is read to its end too: a settle the worker sent just
    // before it died still arrives, and counts. The child process's 'close' says so too: node
    // emits no 'disconnect' while a handle it sent waits for the child's receipt, which is
    // just when a connection is on its way to a worker that dies.
    const disconnected = Promise.race([once(worker, 'disconnect'), once(worker.process, 'close')]).catch(() => undefined);
    once(worker, 'exit')
      .then(async (args) => {
        const [code, signal] = args as [number | null, string | null];
        this.#dealer?.unseat(seat, false);
        await Promise.race([disconnected, new Promise((resolve) => setTimeout(resolve, 2_000))]);
        this.#exited(member, code, signal);
      })
      .catch((error: unknown) => this.#logger.error({ slot, err: error }, 'could not follow a worker'));
  }

  #exited(member: Member, code: number | null, signal: string | null): void {
    const { slot, worker } = member;
    if (this.#members.get(slot) === member) this.#members.delete(slot);
    // Its channel is read to the end: a connection it had not said it has, it never read.
    this.#dealer?.unseat(member.seat, true);
    member.peer.close(new GatewayError('SB_ERR_UNAVAILABLE', `Worker ${slot} is gone.`));
    const last = member.lastMetrics;
    // Chained: scrapes wait for it, and two workers gone together both count. A worker killed
    // outright loses what it counted since the last scrape; the requests it had in flight are
    // counted by the replacement that writes their rows (src/ledger/open-ledger.ts).
    if (last) this.#retired = this.#retired.then(async (retired) => (await import('../telemetry/cluster-metrics.ts')).retire(retired, last)).catch(() => undefined);
    const released = this.#arbiter!.release(worker.id);
    const facts = { slot, pid: worker.process.pid, code, signal, released_reservations: released };
    if (this.#stopping) {
      // A worker killed (by a signal: ours after its drain deadline, or someone's -9) did not
      // drain; SIGTERM itself ends only a worker still starting, before it listens for it.
      const drained = (code === 0 && signal === null) || signal === 'SIGTERM';
      this.#logger[drained ? 'info' : 'error'](facts, drained ? 'worker stopped' : 'worker did not drain: the primary writes the rows of its requests from its journal');
      if (!drained) this.#exitCode = 1;
      if (this.#members.size === 0) this.#finish();
      return;
    }
    if (!this.#started) {
      this.#logger.error(facts, 'a worker exited before the cluster was up: stopping');
      this.#options.onStartFailed(`worker ${slot} exited (${signal ?? `code ${code}`}) before it could serve; see its error above.`);
      this.#exitCode = 1;
      this.#stop('startup failure');
      return;
    }
    const streak = Date.now() - member.startedAt < youngMs ? (this.#streaks.get(slot) ?? 0) + 1 : 1;
    this.#streaks.set(slot, streak);
    const delay = restartDelay(streak);
    const clean = code === 0 && signal === null;
    this.#logger[clean ? 'info' : 'error'](
      { ...facts, restart_in_ms: delay },
      clean ? 'worker exited; starting a replacement' : 'worker died; starting a replacement, which writes the rows of its requests from its journal',
    );
    this.#restarts.set(
      slot,
      setTimeout(() => {
        this.#restarts.delete(slot);
        if (!this.#stopping) this.#fork(slot);
      }, delay),
    );
  }

  /** SIGTERM/SIGINT: every worker drains (as a single process does) and the primary exits after the last. */
  #stop(reason: string): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#logger.info({ reason, workers: this.#members.size }, 'stopping: every worker drains its requests and exits');
    this.#dealer?.close();
    for (const timer of this.#restarts.values()) clearTimeout(timer);
    this.#restarts.clear();
    for (const member of this.#members.values()) member.worker.process.kill('SIGTERM');
    // A worker that outlives its own drain deadline by far is stuck: its journal keeps its rows.
    setTimeout(() => {
      for (const member of this.#members.values()) {
        this.#logger.error({ slot: member.slot, pid: member.worker.process.pid }, 'worker did not stop after its drain: killing it');
        member.worker.process.kill('SIGKILL');
      }
    }, this.#options.config.server.drain_timeout_ms + 15_000).unref();
    if (this.#members.size === 0 && this.#parts) this.#finish();
  }

  #finish(): void {
    const parts = this.#parts;
    // Every worker is gone: the rows of requests a killed one had in flight are written now,
    // not at the next start (none owns a journal any more; a drained worker's are empty).
    const close = parts ? parts.recoverJournals().then(() => parts.close()) : Promise.resolve();
    close
      .catch((error: unknown) => {
        this.#logger.error({ err: error }, 'error while closing the primary');
        this.#exitCode = 1;
      })
      .finally(() => this.#finished?.(this.#exitCode));
  }

  /** An /admin change made on `from`: every other worker applies it before the change answers. */
  async #relay(from: Member, change: SharedChange): Promise<void> {
    const others = [...this.#members.values()].filter((member) => member !== from && member.greeted);
    await Promise.all(
      others.map((member) =>
        member.peer.call('apply', change, workerCallMs).catch((error: unknown) => {
          this.#logger.warn({ slot: member.slot, change: change.kind, err: error }, 'a worker did not confirm an /admin change (a key change still reaches it within 30 s)');
        }),
      ),
    );
  }

  async #flushAll(): Promise<void> {
    await Promise.all(this.#greeted().map((member) => member.peer.call('flush', undefined, workerCallMs).catch(() => undefined)));
  }

  /** /metrics: every worker's registry, summed by prom-client's cluster aggregation. */
  async #metrics(): Promise<string> {
    const answers = await Promise.all(
      this.#greeted().map((member) =>
        member.peer.call('metrics', undefined, workerCallMs).then(
          (answer) => (member.lastMetrics = answer),
          () => undefined,
        ),
      ),
    );
    const found = answers.filter((answer): answer is WorkerMetrics => answer !== undefined);
    const retired = await this.#retired;
    if (retired) found.push(retired);
    // Loaded on the first scrape: a primary that is never scraped does without prom-client.
    const { aggregateMetrics } = await import('../telemetry/cluster-metrics.ts');
    return aggregateMetrics(found);
  }

  #greeted(): Member[] {
    return [...this.#members.values()].filter((member) => member.greeted);
  }
}

/**
 * The Node.js flags of each worker: the primary's own, and a young generation of 8 MB a
 * semi-space unless the operator set a size (on the command line or in NODE_OPTIONS): 12-18 MB
 * less peak RSS per worker at the same CPU per request (bin/switchboard.js says why; the RSS
 * target of a worker is 120 MB). On Node 22+ the bin has usually given the primary the flag
 * already, and it is passed on as one of the primary's; on Node 20, which cannot replace a
 * running process, the workers are where it can be set.
 */
export function workerExecArgv(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  return [...execArgv, ...youngGenerationFlags([...execArgv, ...(nodeOptions ?? '').split(/\s+/)])];
}
