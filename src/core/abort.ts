/**
 * What the gateway's own code reads of an abort signal: the part of `AbortSignal` it uses, so a
 * real `AbortSignal` (from a test, an SDK, `AbortSignal.timeout`) is one too.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Called once when the signal aborts; never when it already had (as an EventTarget does). */
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * An abort controller for the gateway's own signals: each request's (the caller leaving, the
 * drain deadline), each call's to a provider, each hedged candidate's.
 *
 * Why not `AbortController`: on the hot path each request made two of them and added and removed
 * two listeners, 7.7-8.7 µs on Node 20 (1.3 µs on Node 24; bench/micro.ts, in `npm run bench`;
 * a request costs about 200 µs in all), because an `AbortSignal` is an EventTarget that allocates
 * an Event per abort, a map of listener lists and a wrapper per listener, and checks each new
 * listener against the others. This one keeps one listener inline and the rest in an array:
 * 0.6-0.7 µs for the same work. Where an API wants a real `AbortSignal` (`AbortSignal.any`),
 * `toAbortSignal` makes one on demand.
 */
export class LightAbortController implements AbortSignalLike {
  #aborted = false;
  #reason: unknown = undefined;
  #first: (() => void) | undefined = undefined;
  #others: Array<() => void> | undefined = undefined;

  /** The controller is its own signal: handing it out gives readers `aborted`, `reason` and the listeners. */
  get signal(): AbortSignalLike {
    return this;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  /** As on an EventTarget: a listener already added is not added twice; `once` is implied (an abort happens once). */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.#aborted || this.#first === listener || this.#others?.includes(listener)) return;
    if (this.#first === undefined) this.#first = listener;
    else (this.#others ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    if (this.#first === listener) {
      this.#first = this.#others?.shift();
      return;
    }
    const index = this.#others?.indexOf(listener) ?? -1;
    if (index >= 0) this.#others!.splice(index, 1);
  }

  /** Aborts once with `reason` (a DOMException named AbortError when none is given, as AbortController does). */
  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    // Taken one at a time from the live list, so that a listener removed by an earlier one is
    // not called (as on an EventTarget).
    const first = this.#first;
    this.#first = undefined;
    if (first) callListener(first);
    const others = this.#others;
    while (others !== undefined && others.length > 0) callListener(others.shift()!);
    this.#others = undefined;
  }
}

/**
 * Calls an abort listener as an EventTarget does: its exception is reported as uncaught, and does
 * not keep the other listeners from being called (here and in src/server/shared-signal.ts).
 */
export function callListener(listener: () => void): void {
  try {
    listener();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/**
 * A real `AbortSignal` following `signal` (itself when it is one), for APIs that take only that.
 * Its listener on `signal` stays until `signal` aborts or is collected: make one per request or
 * stream, not one per wait in a loop.
 */
export function toAbortSignal(signal: AbortSignalLike): AbortSignal {
  if (signal instanceof AbortSignal) return signal;
  if (signal.aborted) return AbortSignal.abort(signal.reason);
  const controller = new AbortController();
  signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller.signal;
}

/**
 * Waits `ms`, or less when one of `signals` aborts (resolves either way, never rejects); its
 * listeners are removed when it ends, so a loop of waits leaves nothing on the signals.
 */
export function waitUnlessAborted(ms: number, ...signals: ReadonlyArray<AbortSignalLike | undefined>): Promise<void> {
  return new Promise((resolve) => {
    const listening = signals.filter((signal): signal is AbortSignalLike => signal !== undefined);
    const end = () => {
      clearTimeout(timer);
      for (const signal of listening) signal.removeEventListener('abort', end);
      resolve();
    };
    const timer = setTimeout(end, ms);
    for (const signal of listening) {
      if (signal.aborted) return end();
      signal.addEventListener('abort', end, { once: true });
    }
  });
}
