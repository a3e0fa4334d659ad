import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A worker of `--workers N` serves connections its primary accepted and handed over
 * (src/cluster/connection-dealer.ts), not ones it accepts itself.
 *
 * Node's HTTP server keeps its request and header timeouts, and the list `closeIdleConnections`
 * reads, only once it listens; and its `close()` waits only for connections it accepted. So the
 * server listens on a private socket no one connects to (an abstract one on Linux: nothing on
 * disk), and the drain waits for the handed connections here.
 */
export class HandedConnections {
  readonly #server: Server;
  readonly #open = new Set<Socket>();
  #onEmpty: (() => void) | undefined;

  constructor(server: Server) {
    this.#server = server;
  }

  /** Serves a connection the primary handed over, as if the server had accepted it. */
  accept(socket: Socket): void {
    // What node's http.Server sets on a connection it accepts itself (noDelay, allowHalfOpen),
    // which a socket rebuilt from a handle passed over IPC lacks: without noDelay a streamed
    // answer's small writes wait on Nagle's algorithm.
    socket.setNoDelay(true);
    socket.allowHalfOpen = true;
    this.#open.add(socket);
    socket.once('close', () => {
      this.#open.delete(socket);
      if (this.#open.size === 0) this.#onEmpty?.();
    });
    this.#server.emit('connection', socket);
  }

  get open(): number {
    return this.#open.size;
  }

  /** Resolves once every handed connection has closed (the drain closes them). */
  closed(): Promise<void> {
    if (this.#open.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#onEmpty = resolve));
  }
}

/**
 * Where a worker's server listens privately. Random: abstract names are shared by every process
 * of a network namespace, and containers sharing one (a pod, host networking) repeat their pids.
 */
export function privateListenPath(): string {
  const name = `switchboard-worker-${process.pid}-${randomBytes(8).toString('hex')}`;
  if (process.platform === 'linux') return `\0${name}`;
  if (process.platform === 'win32') return `\\\\.\\pipe\\${name}`;
  return join(tmpdir(), `${name}.sock`);
}
