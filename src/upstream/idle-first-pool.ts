import type { Client as UndiciClient, Pool as UndiciPool } from 'undici';

/**
 * undici's Pool with its choice of connection made O(1): docs/decisions/0014-upstream-calls.md.
 *
 * undici 7's Pool picks a connection by scanning all of its clients for the first one not busy
 * (lib/dispatcher/pool.js `kGetDispatcher`), and does it twice per request (pool-base.js
 * `kDispatch` scans again once the chosen client is busy, to know whether the pool still has
 * room; undici#5149 drops the second scan in undici 8, which needs Node 22). With a connection
 * per request in flight, as an LLM gateway has (answers take seconds), that is a scan of every
 * open connection per request: 11 µs a request with 1,000 in flight, 50 with 5,000
 * (docs/performance.md, eighteenth session), growing with the square of the load.
 *
 * This subclass keeps the clients it last saw free on a stack and takes the one freed last, whose
 * socket is the warmest (LIFO, as undici's maintainers argued for pools: undici#72). A client is
 * pushed when it is created and when it drains; a stale entry (busy again, closed, destroyed, or
 * dropped by the pool after a connection error) is popped when it comes to the top. Queueing,
 * draining, closing and destroying stay the Pool's own. Only for pools without a `connections`
 * limit or `clientTtl`, which the gateway's Agent never sets: those keep undici's scan.
 */

/** What the subclass reads of undici's internals; `undefined` when a later undici moved them. */
export interface PoolInternals {
  Pool: typeof UndiciPool;
  Client: typeof UndiciClient;
  /** pool-base.js: a client's "busy" flag, the choice of client, adding a client. */
  kNeedDrain: symbol;
  kGetDispatcher: symbol;
  kAddClient: symbol;
}

/** A client as the subclass sees it: undici's, with the pool's flag and our own mark. */
type TrackedClient = UndiciClient & Record<symbol, unknown>;

/** Marks a client that is on the free stack (at most once), or that the pool dropped. */
const kListed = Symbol('listed on the free stack');
const kDropped = Symbol('dropped by the pool');

/** A Pool factory for undici's Agent (`factory` option) that picks connections in O(1). */
export function idleFirstPoolFactory(internals: PoolInternals): (origin: string | URL, options: UndiciPool.Options) => UndiciPool {
  const { Pool, Client, kNeedDrain, kGetDispatcher, kAddClient } = internals;
  // The Pool's own methods under its internal symbols, which TypeScript's types do not list.
  type Internal = Record<symbol, (...args: unknown[]) => unknown>;

  class IdleFirstPool extends Pool {
    readonly #free: TrackedClient[] = [];
    /** Makes a client as the Pool's factory does, with the options the Pool gave it. */
    #create: (() => TrackedClient) | undefined;

    constructor(origin: string | URL, options: UndiciPool.Options) {
      // The Pool hands its factory the origin and the options every client gets (its connector
      // among them); the first call keeps them, so that later clients are made without a scan.
      const holder: { pool?: IdleFirstPool } = {};
      super(origin, {
        ...options,
        factory: (url: string | URL, clientOptions: object) => {
          holder.pool!.#create ??= () => new Client(url, clientOptions) as TrackedClient;
          return new Client(url, clientOptions);
        },
      });
      holder.pool = this;
    }

    /** The client freed last; a new one when none is free. */
    [kGetDispatcher](): TrackedClient | undefined {
      const free = this.#free;
      while (free.length > 0) {
        const client = free[free.length - 1]!;
        if (client[kNeedDrain] !== true && client[kDropped] !== true && !client.closed && !client.destroyed) return client;
        free.pop();
        client[kListed] = false;
      }
      // The first client: the Pool's own path (it has none to scan), which keeps the factory's options.
      if (this.#create === undefined) return (Pool.prototype as unknown as Internal)[kGetDispatcher]!.call(this) as TrackedClient | undefined;
      const client = this.#create();
      (this as unknown as Internal)[kAddClient]!(client);
      return client;
    }

    [kAddClient](client: TrackedClient): this {
      // The Pool's drain listener, added first, runs first: it dispatches what the pool queued and
      // sets the client's busy flag; the client is listed only if that left it free.
      (Pool.prototype as unknown as Internal)[kAddClient]!.call(this, client);
      client.on('drain', () => this.#list(client));
      client.on('connectionError', () => {
        client[kDropped] = true;
      });
      this.#list(client);
      return this;
    }

    #list(client: TrackedClient): void {
      if (client[kListed] === true || client[kNeedDrain] === true) return;
      client[kListed] = true;
      this.#free.push(client);
    }
  }

  return (origin, options) => (options.connections == null && options.clientTtl == null ? new IdleFirstPool(origin, options) : new Pool(origin, options));
}
