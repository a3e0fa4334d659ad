import { callListener } from '../core/abort.ts';

/**
 * A long-lived abort signal that every request in flight waits on (the SIGTERM drain's deadline),
 * with one listener of its own on the signal whatever the number of requests.
 *
 * Why not `signal.addEventListener` per request: an EventTarget keeps its listeners in a list and
 * checks each new one against all the others, so adding and removing one costs in proportion to
 * those already there. With a listener per request (and a second per stream), every request paid
 * for every other in flight: add + remove took 1.4 µs with none registered, 6 µs with 1,000,
 * 26 µs with 5,000 and 141 µs with 20,000 (Node 20.20, bench of 2026-12-04 in
 * docs/performance.md) — thousands of long streams in flight are an ordinary load for a gateway.
 * Here a subscription is a Set entry: constant cost.
 *
 * The entry is a cell that unsubscribing empties, not the listener itself. With the listener in
 * the Set, a request's whole object graph (the listener reaches its signal, the executor, the
 * upstream call, the request and response) outlived the request, although `delete` had removed
 * it: under load V8 moved 1.4 MB a scavenge to the old generation, 11% of all that was allocated,
 * where a major GC every 2 s stalled the loop 30 ms, and RSS grew to 230 MB. Emptied cells keep
 * nothing (`npm run bench:gc`, docs/performance.md: 0.5 MB a scavenge with this alone).
 */
export class SharedSignal {
  readonly #signal: AbortSignal;
  /**
   * The subscribers in the order they came, a circular list linked through their cells around
   * this sentinel: a subscription is linked and unlinked in constant time and allocates only its
   * cell. A Set did the same in constant time, but its hash table, rebuilt as entries came and
   * went, was what requests in flight moved to the old generation most after the in-flight
   * journal's Map (a heap profile of what outlived young collections at c=64: 39 bytes a
   * request; docs/performance.md, seventeenth session).
   */
  readonly #ring: Cell = sentinel();
  #count = 0;

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    signal.addEventListener(
      'abort',
      () => {
        const listeners: Array<() => void> = [];
        const ring = this.#ring;
        for (let cell = ring.next!; cell !== ring; ) {
          const next = cell.next!;
          if (cell.listener) listeners.push(cell.listener);
          cell.previous = cell.next = undefined;
          cell = next;
        }
        ring.previous = ring.next = ring;
        this.#count = 0;
        for (const listener of listeners) callListener(listener);
      },
      { once: true },
    );
  }

  get aborted(): boolean {
    return this.#signal.aborted;
  }

  get reason(): unknown {
    return this.#signal.reason;
  }

  /** Calls `listener` once when the signal aborts (never if it already has); returns what unsubscribes it. */
  subscribe(listener: () => void): () => void {
    if (this.#signal.aborted) return noop;
    const ring = this.#ring;
    const last = ring.previous!;
    const cell: Cell = { listener, previous: last, next: ring };
    last.next = cell;
    ring.previous = cell;
    this.#count += 1;
    return () => {
      cell.listener = undefined;
      // Linked until it unsubscribes or the signal aborts (which unlinks every cell).
      if (cell.next === undefined) return;
      cell.previous!.next = cell.next;
      cell.next.previous = cell.previous;
      cell.previous = cell.next = undefined;
      this.#count -= 1;
    };
  }

  /** Subscribers waiting now (tests). */
  get listeners(): number {
    return this.#count;
  }
}

/** A subscription: emptied and unlinked when it ends, so it keeps nothing of its request. */
interface Cell {
  listener: (() => void) | undefined;
  previous: Cell | undefined;
  next: Cell | undefined;
}

function sentinel(): Cell {
  const cell: Cell = { listener: undefined, previous: undefined, next: undefined };
  cell.previous = cell.next = cell;
  return cell;
}

function noop(): void {}
