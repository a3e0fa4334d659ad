import { lookup } from 'node:dns/promises';
import { createServer, type Server, type Socket } from 'node:net';

/**
 * The primary's listening socket, and the connections it hands to the workers in turn.
 *
 * node:cluster's own round-robin hand-off keeps a connection in the primary until the worker
 * it was given to answers, and when that worker dies first the connection is never closed nor
 * given to another: the client waits, unanswered, until it gives up (nodejs/node#21746). Here a
 * connection stays in the primary's hands (`keepOpen`) until its worker says it has it, before
 * that worker has read a byte of it; a worker that dies or drains first has its connections
 * given to another worker, whole. See docs/decisions/0008-workers.md.
 */

/** A worker as the dealer sees it. */
export interface Seat {
  readonly slot: number;
  /** Sends the connection over the IPC channel; `failed` when it could not be sent. */
  give(id: number, socket: Socket, failed: () => void): void;
}

/** Connections waiting for a free worker (all busy, starting or being replaced), at most. */
const maxWaiting = 4096;

interface Handed {
  socket: Socket;
  seat: Seat;
}

export class ConnectionDealer {
  readonly #servers: Server[] = [];
  readonly #seats: Seat[] = [];
  readonly #handed = new Map<number, Handed>();
  readonly #waiting: Socket[] = [];
  #nextId = 1;
  #turn = 0;
  #closed = false;
  readonly #onDropped: (reason: string) => void;

  /** `onDropped`: a connection was closed unread (no worker for it); said in the log. */
  constructor(onDropped: (reason: string) => void) {
    this.#onDropped = onDropped;
  }

  /**
   * Binds the port; resolves with the address as the banner prints it. `localhost` is bound on
   * each of its addresses (127.0.0.1 and ::1), as Fastify binds it for a single process; only
   * the first must succeed.
   */
  async listen(port: number, host: string): Promise<string> {
    const hosts = host === 'localhost' ? (await lookup(host, { all: true })).map((each) => each.address) : [host];
    const first = await this.#bind(port, hosts[0] ?? host);
    for (const other of hosts.slice(1)) await this.#bind(first.port, other).catch(() => undefined);
    // A wildcard address is printed as the loopback one, as a single process prints it (Fastify).
    const shown = first.address === '0.0.0.0' ? '127.0.0.1' : first.address === '::' ? '::1' : first.address;
    return `http://${first.family === 'IPv6' ? `[${shown}]` : shown}:${first.port}`;
  }

  #bind(port: number, host: string): Promise<{ address: string; family: string; port: number }> {
    // Paused: the primary reads nothing, so the worker reads the request from its first byte.
    const server = createServer({ pauseOnConnect: true }, (socket) => {
      // A reset while it waits is the worker's to see, or nobody's: never the primary's crash.
      socket.on('error', () => undefined);
      this.#deal(socket);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => {
        server.off('error', reject);
        // An accept that fails (out of descriptors, a reset in the queue) loses that connection
        // only, as with node's own hand-off: never the primary.
        server.on('error', (error) => this.#onDropped(`accept failed: ${error.message}`));
        this.#servers.push(server);
        const address = server.address();
        if (address === null || typeof address === 'string') reject(new Error(`bound ${String(address)}, not a TCP port`));
        else resolve(address);
      });
    });
  }

  /** The worker takes connections from now on; those waiting for one are given out. */
  seat(seat: Seat): void {
    if (!this.#seats.includes(seat)) this.#seats.push(seat);
    this.#dispatch();
  }

  /**
   * The worker takes no more connections (it drains, or it is gone). Those it has not said it
   * has are given to another worker when `gone`; a draining worker hands back each one itself.
   */
  unseat(seat: Seat, gone: boolean): void {
    const at = this.#seats.indexOf(seat);
    if (at >= 0) this.#seats.splice(at, 1);
    if (!gone) return;
    for (const [id, handed] of this.#handed) {
      if (handed.seat !== seat) continue;
      this.#handed.delete(id);
      this.#deal(handed.socket, true);
    }
  }

  /** The worker has connection `id` (`taken`), or handed it back unread (it drains). */
  answered(seat: Seat, id: number, taken: boolean): void {
    const handed = this.#handed.get(id);
    if (handed === undefined || handed.seat !== seat) return;
    this.#handed.delete(id);
    // The primary's descriptor only: the worker holds the connection through its own.
    if (taken) handed.socket.destroy();
    else this.#deal(handed.socket, true);
    this.#dispatch();
  }

  /** Stops listening; connections not yet in a worker's hands are closed unread. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const server of this.#servers) server.close();
    for (const socket of this.#waiting.splice(0)) socket.destroy();
  }

  /** Connections handed out and not yet answered for (tests). */
  get pending(): number {
    return this.#handed.size;
  }

  /** Connections waiting for a worker (tests). */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Queues a connection (`first`: one handed back, which has waited longest) and deals what it can. */
  #deal(socket: Socket, first = false): void {
    if (socket.destroyed) return;
    // Stopping, every worker drains: one handed back now is closed unread, as a single process
    // that stopped listening leaves the connections not yet accepted.
    if (this.#closed) {
      socket.destroy();
      return;
    }
    if (this.#waiting.length >= maxWaiting) {
      socket.destroy();
      this.#onDropped(`${maxWaiting} connections already wait for a worker`);
      return;
    }
    if (first) this.#waiting.unshift(socket);
    else this.#waiting.push(socket);
    this.#dispatch();
  }

  /**
   * Hands waiting connections to free workers, in turn. A worker is free once it has answered
   * for the last connection it was handed, as node's round-robin hand-off has it: one that
   * stalls (a long synchronous parse, a stop) holds one connection, not its share of all.
   */
  #dispatch(): void {
    while (this.#waiting.length > 0) {
      const seat = this.#freeSeat();
      if (seat === undefined) return;
      const socket = this.#waiting.shift()!;
      if (!socket.destroyed) this.#give(seat, socket);
    }
  }

  #freeSeat(): Seat | undefined {
    const count = this.#seats.length;
    for (let step = 0; step < count; step += 1) {
      const seat = this.#seats[(this.#turn + step) % count]!;
      if (!this.#holds(seat)) {
        this.#turn = (this.#turn + step + 1) % count;
        return seat;
      }
    }
    return undefined;
  }

  /** Whether the worker has a connection it has not answered for yet (one at most). */
  #holds(seat: Seat): boolean {
    for (const handed of this.#handed.values()) if (handed.seat === seat) return true;
    return false;
  }

  #give(seat: Seat, socket: Socket): void {
    const id = this.#nextId++;
    this.#handed.set(id, { socket, seat });
    seat.give(id, socket, () => {
      // Not sent: the channel closed under it, so that worker is going. Another gets it.
      if (this.#handed.get(id)?.seat !== seat) return;
      this.#handed.delete(id);
      this.unseat(seat, false);
      this.#deal(socket, true);
    });
  }
}
