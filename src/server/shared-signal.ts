import { callListener } from '../core/abort.ts';
import { LinkedRing, type RingNode } from '../core/linked-ring.ts';

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
 * Here a subscription is a node of a linked list: constant cost.
 *
 * The node is a cell that unsubscribing empties, not the listener itself. With the listener in
 * a Set (before the list), a request's whole object graph (the listener reaches its signal, the executor, the
 * upstream call, the request and response) outlived the request, although `delete` had removed
 * it: under load V8 moved 1.4 MB a scavenge to the old generation, 11% of all that was allocated,
 * where a major GC every 2 s stalled the loop 30 ms, and RSS grew to 230 MB. Emptied cells keep
 * nothing (`npm run bench:gc`, docs/performance.md: 0.5 MB a scavenge with this alone).
 */
export class SharedSignal {
  readonly #signal: AbortSignal;
  /**
   * The subscribers in the order they came, each in a cell that unsubscribing empties and
   * unlinks: a linked list, since a `Set` here rebuilt its hash table as requests came and went
   * (src/core/linked-ring.ts).
   */
  readonly #cells = new LinkedRing<Cell>();

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    signal.addEventListener(
      'abort',
      () => {
        // Each cell's listener is read when its turn comes: one that an earlier listener
        // unsubscribed meanwhile is not called.
        for (const cell of this.#cells.clear()) if (cell.listener) callListener(cell.listener);
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
    const cell: Cell = { listener, previous: undefined, next: undefined };
    this.#cells.add(cell);
    return () => {
      cell.listener = undefined;
      // Linked until it unsubscribes or the signal aborts (which unlinks every cell).
      this.#cells.remove(cell);
    };
  }

  /** Subscribers waiting now (tests). */
  get listeners(): number {
    return this.#cells.size;
  }
}

/** A subscription: emptied and unlinked when it ends, so it keeps nothing of its request. */
interface Cell extends RingNode<Cell> {
  listener: (() => void) | undefined;
}

function noop(): void {}
