import type { Transformer } from 'node:stream/web';
import type { EventReader, ReadResult } from '../core/stream-event.ts';

/**
 * The gateway's own streams: a reader (read, cancel) over an underlying source (start, pull,
 * cancel), with the semantics of `new ReadableStream(source, { highWaterMark: 0 })` and its
 * reader, but without a web stream (docs/decisions/0013-lean-streams.md). On Node 20 a web stream
 * costs several microseconds to build (each is made transferable) and a chain of promise turns per
 * chunk at each hop; a streamed answer crossed eight of them. Stages are still written as the
 * objects web streams take (underlying sources, Transformers), so any of them can be put back into
 * a web stream; only the runner differs.
 */

/** What a pull source sees: the subset of a ReadableStreamDefaultController the gateway uses. */
export interface PullController<T> {
  enqueue(chunk: T): void;
  close(): void;
  error(reason: unknown): void;
}

/** An underlying source, as `new ReadableStream()` takes it. */
export interface PullSource<T> {
  start?(controller: PullController<T>): void;
  /** Called while a read waits and nothing is queued; enqueue, close or error, or it is called again. */
  pull(controller: PullController<T>): Promise<void> | void;
  /**
   * A pull that takes only what its own source has ready now (`EventReader.poll`), for `poll`:
   * true once it took something and handled it synchronously (enqueued, swallowed, closed),
   * false when it took nothing. It may be called while a `pull`'s promise has yet to settle, so
   * it must take nothing while asynchronous work of the source's own is under way (a read it
   * started, whose chunk would be passed, or a recovery); what cannot be handled synchronously
   * is kept for the next `pull`. Without it, `poll` answers only from the queue.
   */
  pullNow?(controller: PullController<T>): boolean;
  cancel?(reason: unknown): Promise<void> | void;
}

const done: ReadResult<never> = Object.freeze({ done: true, value: undefined });
/** What a cancel with nothing to wait for returns: one settled promise shared, not one each. */
const settled: Promise<void> = Promise.resolve();

/** A reader over `source`, pulling only while a read waits (high-water mark 0). */
export class PullReader<T> implements EventReader<T>, AsyncIterable<T> {
  readonly #source: PullSource<T>;
  readonly #queue: T[] = [];
  #closed = false;
  #errored = false;
  #error: unknown;
  #waiting: { resolve(result: ReadResult<T>): void; reject(reason: unknown): void } | undefined;
  #pulling = false;
  readonly #controller: PullController<T>;
  /** What an asynchronous pull's promise settles into (bound once, not per pull). */
  readonly #pulled = (): void => {
    if (this.#waiting) this.#pullWhileWaiting();
    else this.#pulling = false;
  };
  readonly #pullFailed = (error: unknown): void => {
    this.#pulling = false;
    this.#controller.error(error);
  };

  constructor(source: PullSource<T>) {
    this.#source = source;
    this.#controller = {
      enqueue: (chunk) => {
        if (this.#closed || this.#errored) return;
        const waiting = this.#waiting;
        if (waiting) {
          this.#waiting = undefined;
          waiting.resolve({ done: false, value: chunk });
        } else this.#queue.push(chunk);
      },
      close: () => {
        if (this.#closed || this.#errored) return;
        this.#closed = true;
        const waiting = this.#waiting;
        this.#waiting = undefined;
        waiting?.resolve(done);
      },
      error: (reason) => {
        if (this.#closed || this.#errored) return;
        this.#errored = true;
        this.#error = reason;
        this.#queue.length = 0;
        const waiting = this.#waiting;
        this.#waiting = undefined;
        waiting?.reject(reason);
      },
    };
    try {
      source.start?.(this.#controller);
    } catch (error) {
      this.#controller.error(error);
    }
  }

  read(): Promise<ReadResult<T>> {
    if (this.#queue.length > 0) return Promise.resolve({ done: false, value: this.#queue.shift()! });
    if (this.#errored) return Promise.reject(this.#error);
    if (this.#closed) return Promise.resolve(done);
    if (this.#waiting) return Promise.reject(new TypeError('A stream has one reader, reading one chunk at a time'));
    const result = new Promise<ReadResult<T>>((resolve, reject) => (this.#waiting = { resolve, reject }));
    if (!this.#pulling) {
      this.#pulling = true;
      this.#pullWhileWaiting();
    }
    return result;
  }

  /**
   * A chunk ready now, with no promise: queued, or made by the source from what its own source
   * has ready (`pullNow`); undefined when a read would wait. An errored stream answers
   * undefined, and its next `read` rejects.
   *
   * Not refused while a pull's promise has yet to settle: the read that pull answered resumes its
   * reader a microtask before it does, and every stage would otherwise find the one below still
   * pulling. Nothing can clash: a reader polls only with no read of its own waiting, so no
   * chunk is on its way up to it (`pullNow`).
   */
  poll(): ReadResult<T> | undefined {
    for (;;) {
      if (this.#queue.length > 0) return { done: false, value: this.#queue.shift()! };
      if (this.#errored || this.#waiting) return undefined;
      if (this.#closed) return done;
      try {
        if (!this.#source.pullNow?.(this.#controller)) return undefined;
      } catch (error) {
        this.#controller.error(error);
        return undefined;
      }
    }
  }

  /**
   * Ends the stream for its reader (a pending read gets `done`) and cancels the source; settles
   * when the source's cancel does. Not an async function: every stream is cancelled at its finish
   * (src/providers/_shared/guard-stream.ts), through several of these, and each async call made a
   * promise of its own and one for its await (3 a stream in all; `npm run bench:allocations`).
   */
  cancel(reason?: unknown): Promise<void> {
    this.#queue.length = 0;
    if (this.#closed || this.#errored) return settled;
    try {
      this.#controller.close();
      return this.#source.cancel?.(reason) ?? settled;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Pulls until the waiting read is answered (closing or erroring answers it too): a pull that
   * produced nothing (a transformer that swallowed its chunk) is followed by the next, as a
   * TransformStream would. Not an async function: a stream's events cross four of these readers,
   * and an async frame per event at each (a generator object, its registers and a promise) made
   * a third of the 196 KB a streamed answer allocated (docs/performance.md, 2026-12-05). A pull that
   * returns a promise continues when it settles; a synchronous one, at once.
   */
  #pullWhileWaiting(): void {
    try {
      do {
        const pulled = this.#source.pull(this.#controller);
        if (pulled) {
          pulled.then(this.#pulled, this.#pullFailed);
          return;
        }
      } while (this.#waiting);
    } catch (error) {
      this.#controller.error(error);
    }
    this.#pulling = false;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.read() as Promise<IteratorResult<T>>,
      return: async () => {
        await this.cancel();
        return done as IteratorResult<T>;
      },
    };
  }
}

/**
 * `transformer`'s output over `source`: what `source.pipeThrough(new TransformStream(transformer))`
 * reads, without the two web streams and the pipe between them. `terminate()` ends the output and
 * cancels the source; an exception in the transformer errors the output and cancels the source.
 */
export function transformReader<I, O>(source: EventReader<I>, transformer: Transformer<I, O>): PullReader<O> {
  let stage: TransformStreamDefaultController<O>;
  /** Set when the output was cancelled: what a pending source read returns then is not transformed or flushed. */
  let cancelled = false;
  /** One read of the source, transformed (bound once per stream, not per chunk). */
  let transformed: (next: ReadResult<I>) => void;
  return new PullReader<O>({
    start(controller) {
      // A data property, not a getter: V8 keeps an object literal with a getter in dictionary
      // mode (src/streams/fuse.ts, StageController). Always 0: a read pulls one chunk at a time.
      stage = {
        desiredSize: 0,
        enqueue: (chunk?: O) => controller.enqueue(chunk as O),
        error: (reason?: unknown) => {
          controller.error(reason);
          source.cancel(reason).catch(() => undefined);
        },
        terminate: () => {
          controller.close();
          source.cancel().catch(() => undefined);
        },
      };
      transformed = (next) => {
        // A TransformStream never flushes on cancel: the usage tap's flush would record the
        // stream as interrupted over the reason it was cancelled for.
        if (cancelled) return;
        try {
          if (next.done) {
            void transformer.flush?.(stage);
            controller.close();
          } else if (transformer.transform) void transformer.transform(next.value, stage);
          else stage.enqueue(next.value as unknown as O);
        } catch (error) {
          stage.error(error);
        }
      };
      void transformer.start?.(stage);
    },
    // A promise chained to the read, not an async function: no async frame per chunk (PullReader).
    pull: () => source.read().then(transformed),
    pullNow: () => {
      if (cancelled || !source.poll) return false;
      const next = source.poll();
      if (next === undefined) return false;
      transformed(next);
      return true;
    },
    cancel: (reason) => {
      cancelled = true;
      return source.cancel(reason);
    },
  });
}

/**
 * An async iterable (an upstream body) as the source of one transformReader: `read` is the
 * iterator's own `next()`, with no reader between them (a lean reader per stream less, and a
 * promise and a pull less per chunk). Cancelling it returns the iterator without waiting (an
 * async generator's `return()` waits for a pending `next()`, which may never come from a stalled
 * upstream); a read still pending then is left unanswered: transformReader, its one reader, stops
 * waiting for it (its own reader is closed by the cancel). The cancel's reason reaches the
 * iterator (`return(reason)`, as a web stream made from an iterable passes it): an upstream body
 * told its answer is complete keeps its connection (`answerComplete`, src/core/http-client.ts).
 * A web stream is read through its own reader, whose cancel is immediate.
 */
export function iterableSource<T>(iterable: AsyncIterable<T>): EventReader<T> {
  if (iterable instanceof ReadableStream) return readerOf(iterable as ReadableStream<T>);
  const iterator: AsyncIterator<T> & { poll?(): ReadResult<T> | undefined } = iterable[Symbol.asyncIterator]();
  return {
    read: () => iterator.next() as Promise<ReadResult<T>>,
    // The upstream body's chunks already received (src/upstream/upstream-call.ts), when it has them.
    ...(iterator.poll ? { poll: () => iterator.poll!() } : {}),
    cancel(reason) {
      try {
        iterator.return?.(reason)?.catch(() => undefined);
      } catch {
        // The iterator is done with either way.
      }
      return settled;
    },
  };
}

/**
 * A reader of `source`: itself when it is one (what the built-in adapters' `streamChat` returns,
 * core EventStream), else a reader of the web stream (a stream another adapter built).
 */
export function readerOf<T>(source: ReadableStream<T> | EventReader<T>): EventReader<T> {
  if (!(source instanceof ReadableStream)) return source;
  return source.getReader() as EventReader<T>;
}
