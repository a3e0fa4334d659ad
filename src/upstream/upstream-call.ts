import type { Dispatcher } from 'undici';
import type { GatewayError } from '../core/errors.ts';
import type { UpstreamResponse } from '../core/http-client.ts';

/**
 * One call dispatched on undici's Agent, as undici's documented handler (`Dispatcher.
 * DispatchHandler`: onRequestStart, onResponseStart, onResponseData, onResponseEnd,
 * onResponseError). It stands in for `undici.request()`, which wraps every answer in a Node
 * Readable (with an AsyncResource, a second abort listener and its own buffering) that the
 * gateway only ever read through once: here the chunks go straight to the one reader the
 * answer has, an async iterator, `text()` or `discard()` (docs/decisions/0014-upstream-calls.md).
 *
 * Backpressure: while the chunks nobody has read pass `highWaterMark` bytes, the connection
 * is paused (`controller.pause()`), and resumed as they are read. Text and discard read
 * everything, so they never pause.
 */

/** Bytes held unread before the connection is paused (undici.request's default too). */
const highWaterMark = 64 * 1024;
/** A discarded body longer than this closes the connection rather than being read to its end (undici's `dump()` default). */
const discardLimit = 128 * 1024;

type Reader = 'none' | 'iterator' | 'text' | 'discard';

export interface CallOptions {
  /** Maps what undici reports (or the signal's reason) to the gateway's error. */
  toError(error: unknown): GatewayError;
  signal: AbortSignal;
}

export class UpstreamCall implements Dispatcher.DispatchHandler {
  readonly response: Promise<UpstreamResponse>;
  readonly #options: CallOptions;
  #resolveResponse!: (response: UpstreamResponse) => void;
  #rejectResponse!: (error: GatewayError) => void;
  #controller: Dispatcher.DispatchController | undefined;
  #started = false;
  #reader: Reader = 'none';
  #chunks: Buffer[] = [];
  #queuedBytes = 0;
  #ended = false;
  #error: GatewayError | undefined;
  /** The pending `next()`, or the pending `text()` / `discard()`. */
  #waiting: { resolve(value: IteratorResult<Uint8Array> | string | undefined): void; reject(error: GatewayError): void } | undefined;

  constructor(options: CallOptions) {
    this.#options = options;
    this.response = new Promise((resolve, reject) => {
      this.#resolveResponse = resolve;
      this.#rejectResponse = reject;
    });
    options.signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Called again when undici retries a request on a pipelined connection.
    this.#controller = controller;
    if (this.#options.signal.aborted) controller.abort(this.#options.signal.reason as Error);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: UpstreamResponse['headers']): void {
    if (statusCode < 200) return; // 1xx informational: the answer's own head follows
    this.#started = true;
    const iterator: AsyncIterator<Uint8Array> = {
      next: () => this.#next(),
      return: () => {
        this.#close();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
    this.#resolveResponse({
      status: statusCode,
      headers,
      body: { [Symbol.asyncIterator]: () => this.#claim('iterator', iterator) },
      text: () => this.#claim('text', this.#readAll()),
      discard: () => this.#claim('discard', this.#discard()),
    });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#ended) return; // closed by its reader
    if (this.#reader === 'discard') {
      this.#queuedBytes += chunk.length;
      if (this.#queuedBytes > discardLimit) this.#close();
      return;
    }
    const waiting = this.#waiting;
    if (this.#reader === 'iterator' && waiting) {
      this.#waiting = undefined;
      waiting.resolve({ done: false, value: chunk });
      return;
    }
    this.#chunks.push(chunk);
    this.#queuedBytes += chunk.length;
    if (this.#reader !== 'text' && this.#queuedBytes >= highWaterMark) controller.pause();
  }

  onResponseEnd(): void {
    this.#ended = true;
    this.#release();
    const waiting = this.#waiting;
    if (!waiting) return;
    this.#waiting = undefined;
    if (this.#reader === 'text') waiting.resolve(this.#text());
    else if (this.#reader === 'discard') waiting.resolve(undefined);
    else waiting.resolve({ done: true, value: undefined });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#release();
    const failure = this.#options.toError(error);
    if (!this.#started) {
      this.#rejectResponse(failure);
      return;
    }
    if (this.#ended) return;
    this.#error = failure;
    this.#chunks = [];
    const waiting = this.#waiting;
    if (!waiting) return;
    this.#waiting = undefined;
    if (this.#reader === 'discard') waiting.resolve(undefined);
    else waiting.reject(failure);
  }

  /** The body has one reader: a second one is a bug in the adapter, said at once. */
  #claim<T>(reader: Reader, value: T): T {
    if (this.#reader !== 'none') throw new TypeError(`The upstream body is already read (${this.#reader})`);
    this.#reader = reader;
    return value;
  }

  #next(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) {
      this.#queuedBytes -= chunk.length;
      if (this.#queuedBytes < highWaterMark && this.#controller?.paused) this.#controller.resume();
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve({ done: true, value: undefined });
    this.#controller?.resume();
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve: resolve as (value: unknown) => void, reject };
    });
  }

  #readAll(): Promise<string> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(this.#text());
    if (this.#controller?.paused) this.#controller.resume();
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve: resolve as (value: unknown) => void, reject };
    });
  }

  #text(): string {
    const chunks = this.#chunks;
    this.#chunks = [];
    if (chunks.length === 1) return chunks[0]!.toString('utf8');
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Reads to the end so the connection goes back to the pool; never fails. */
  #discard(): Promise<void> {
    this.#chunks = [];
    if (this.#ended || this.#error) return Promise.resolve();
    if (this.#queuedBytes > discardLimit) {
      this.#close();
      return Promise.resolve();
    }
    if (this.#controller?.paused) this.#controller.resume();
    return new Promise((resolve) => {
      this.#waiting = { resolve: () => resolve(), reject: () => resolve() };
    });
  }

  /** The reader stopped early: the connection is closed (its remaining bytes are unwanted). */
  #close(): void {
    this.#chunks = [];
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (!this.#ended && !this.#error) {
      this.#ended = true;
      this.#controller?.abort(new Error('The upstream body was closed by its reader'));
    }
    this.#release();
    waiting?.resolve(this.#reader === 'iterator' ? { done: true, value: undefined } : undefined);
  }

  readonly #onAbort = (): void => {
    // Before the request started, onRequestStart aborts it; after, undici reports the reason
    // through onResponseError, which maps it with the signal's reason.
    this.#controller?.abort(this.#options.signal.reason as Error);
  };

  #release(): void {
    this.#options.signal.removeEventListener('abort', this.#onAbort);
  }
}
