import type { Dispatcher } from 'undici';
import { GatewayError } from '../core/errors.ts';
import { answerComplete, type UpstreamProgress, type UpstreamResponse } from '../core/http-client.ts';
import type { AbortSignalLike } from '../core/abort.ts';
import { sizeText } from '../text/size-text.ts';
import { utf8Text } from '../text/utf8.ts';

/**
 * One call dispatched on undici's Agent, as undici's documented handler (`Dispatcher.
 * DispatchHandler`: onRequestStart, onResponseStart, onResponseData, onResponseEnd,
 * onResponseError). It stands in for `undici.request()`, which wraps every answer in a Node
 * Readable (with an AsyncResource, a second abort listener and its own buffering) that the
 * gateway only ever read through once: here the chunks go straight to the one reader the
 * answer has, an async iterator, `text()` or `discard()` (docs/decisions/0014-upstream-calls.md).
 *
 * Backpressure: while the chunks nobody has read pass `highWaterMark` bytes, the connection
 * is paused (`controller.pause()`), and resumed as they are read. Text and discard never pause,
 * and neither reads without a bound: text up to its limit (an answer that never ends, or one of
 * gigabytes, would otherwise be held in memory whole), discard up to `discardLimit`.
 */

/** Bytes held unread before the connection is paused (undici.request's default too). */
const highWaterMark = 64 * 1024;
/** A discarded body longer than this closes the connection rather than being read to its end (undici's `dump()` default). */
const discardLimit = 128 * 1024;
/**
 * The longest body `text()` reads when its reader gives no limit. Legitimate answers can be large:
 * the embeddings of 2,048 inputs of 3,072 dimensions, as JSON, are about 130 MB.
 */
const defaultTextLimit = 256 * 1024 * 1024;
/**
 * How long a body whose reader has the whole answer (`answerComplete`) is waited for to end: its
 * end is sent right after the last event, and is in by then, or in the next packet.
 */
const endGraceMs = 500;

type Reader = 'none' | 'iterator' | 'text' | 'discard';

/** A read waiting for the connection: the iterator's `next()`, `text()` or `discard()`. */
interface Waiting {
  resolve(value: IteratorResult<Uint8Array> | string | undefined): void;
  reject(error: GatewayError): void;
}

export interface CallOptions {
  /** Maps what undici reports (or the signal's reason) to the gateway's error. */
  toError(error: unknown): GatewayError;
  signal: AbortSignalLike;
  /** Provider id, named in the errors the call raises itself (a body over its limit). */
  provider: string;
  /** Told the time of each body chunk's arrival (UpstreamRequest `progress`). */
  progress?: UpstreamProgress | undefined;
}

export class UpstreamCall implements Dispatcher.DispatchHandler {
  readonly response: Promise<UpstreamResponse>;
  readonly #options: CallOptions;
  #resolveResponse!: (response: UpstreamResponse) => void;
  #rejectResponse!: (error: GatewayError) => void;
  #controller: Dispatcher.DispatchController | undefined;
  #started = false;
  #status = 0;
  #reader: Reader = 'none';
  /** The most `text()` reads (its caller's limit, or the default). */
  #textLimit = defaultTextLimit;
  /** Closes a finished answer's connection when its body does not end in time (`answerComplete`). */
  #endTimer: NodeJS.Timeout | undefined;
  #chunks: Buffer[] = [];
  #queuedBytes = 0;
  /** The body's declared length, when the answer gave one (discard closes at once past its limit). */
  #declaredLength = -1;
  #ended = false;
  #error: GatewayError | undefined;
  /** The pending `next()`, or the pending `text()` / `discard()`. */
  #waiting: Waiting | undefined;

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
    this.#status = statusCode;
    const length = headers['content-length'];
    if (typeof length === 'string') this.#declaredLength = Number(length);
    const iterator: AsyncIterator<Uint8Array> & { poll(): IteratorResult<Uint8Array> | undefined } = {
      next: () => this.#next(),
      poll: () => this.#poll(),
      return: (reason?: unknown) => {
        if (reason === answerComplete) this.#settle();
        else this.#close();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
    this.#resolveResponse({
      status: statusCode,
      headers,
      body: {
        [Symbol.asyncIterator]: () => {
          const refusal = this.#claim('iterator');
          if (refusal) throw refusal;
          return iterator;
        },
      },
      text: (maxBytes?: number) => {
        const refusal = this.#claim('text');
        return refusal ? Promise.reject(refusal) : this.#readAll(maxBytes ?? defaultTextLimit);
      },
      discard: () => {
        const refusal = this.#claim('discard');
        return refusal ? Promise.reject(refusal) : this.#discard();
      },
    });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#ended) return; // closed by its reader
    const progress = this.#options.progress;
    if (progress !== undefined) progress.lastDataAt = performance.now();
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
    if (this.#reader !== 'text') {
      if (this.#queuedBytes >= highWaterMark) controller.pause();
    } else if (this.#queuedBytes > this.#textLimit) this.#tooLong();
  }

  onResponseEnd(): void {
    this.#ended = true;
    this.#release();
    const waiting = this.#waiting;
    if (!waiting) return;
    this.#waiting = undefined;
    if (this.#reader === 'discard') waiting.resolve(undefined);
    else if (this.#reader === 'iterator') waiting.resolve({ done: true, value: undefined });
    else this.#settleText(waiting);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#release();
    if (this.#started && this.#ended) return; // the reader closed it, or it was complete
    const failure = this.#options.toError(error);
    if (!this.#started) {
      this.#rejectResponse(failure);
      return;
    }
    this.#error = failure;
    this.#chunks = [];
    const waiting = this.#waiting;
    if (!waiting) return;
    this.#waiting = undefined;
    if (this.#reader === 'discard') waiting.resolve(undefined);
    else waiting.reject(failure);
  }

  /**
   * Makes `reader` the body's one reader, before anything is read (a resume may deliver the rest
   * of the body at once, and it must find its reader). A second reader is a bug in an adapter:
   * it gets an error and leaves the first reader as it was.
   */
  #claim(reader: Reader): TypeError | undefined {
    if (this.#reader !== 'none') return new TypeError(`The upstream body is already read (${this.#reader})`);
    this.#reader = reader;
    return undefined;
  }

  #next(): Promise<IteratorResult<Uint8Array>> {
    const taken = this.#take();
    if (taken !== undefined) return Promise.resolve(taken);
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve({ done: true, value: undefined });
    return this.#wait();
  }

  /**
   * A chunk already received, or the end, without a promise (core EventReader `poll`): the
   * chunks of one socket read arrive together, and the first wakes the reader; undefined when
   * `next()` would wait, or reject.
   */
  #poll(): IteratorResult<Uint8Array> | undefined {
    return this.#take() ?? (this.#ended && !this.#error && !this.#waiting ? { done: true, value: undefined } : undefined);
  }

  /** The first chunk received and not yet read, resuming the socket once few enough are queued. */
  #take(): IteratorResult<Uint8Array> | undefined {
    const chunk = this.#chunks.shift();
    if (chunk === undefined) return undefined;
    this.#queuedBytes -= chunk.length;
    if (this.#queuedBytes < highWaterMark) this.#resume();
    return { done: false, value: chunk };
  }

  #readAll(limit: number): Promise<string> {
    this.#textLimit = limit;
    if (this.#error) return Promise.reject(this.#error);
    if (this.#queuedBytes > limit || this.#declaredLength > limit) return Promise.reject(this.#tooLong());
    if (this.#ended) return new Promise((resolve, reject) => this.#settleText({ resolve: resolve as (value: unknown) => void, reject }));
    return this.#wait();
  }

  /** Resolves `waiting` with the body's text, or rejects it when the text cannot be made (too long for a string). */
  #settleText(waiting: Waiting): void {
    const chunks = this.#chunks;
    this.#chunks = [];
    try {
      waiting.resolve(utf8Text(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    } catch (error) {
      waiting.reject(this.#options.toError(error));
    }
  }

  /**
   * The text reader's body is longer than its limit: it is not read further (its connection is
   * closed) and the read fails, retryably (another candidate may answer), naming the limit and
   * none of the body.
   */
  #tooLong(): GatewayError {
    const { provider } = this.#options;
    const failure = new GatewayError('SB_ERR_UPSTREAM_INVALID_RESPONSE', `Provider "${provider}" sent a body longer than ${sizeText(this.#textLimit)}, the limit; it was not read further`, {
      provider,
      upstreamStatus: this.#status,
    });
    this.#chunks = [];
    this.#error = failure;
    if (!this.#ended) {
      this.#ended = true;
      this.#controller?.abort(new Error('The upstream body went past its limit'));
    }
    this.#release();
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(failure);
    return failure;
  }

  /** Reads to the end so the connection goes back to the pool; never fails. */
  #discard(): Promise<void> {
    this.#chunks = [];
    if (this.#ended || this.#error) return Promise.resolve();
    if (this.#queuedBytes > discardLimit || this.#declaredLength > discardLimit) {
      this.#close();
      return Promise.resolve();
    }
    return this.#wait() as Promise<unknown> as Promise<void>;
  }

  /**
   * Waits for what the connection brings next. The wait is registered before the connection is
   * resumed: resuming parses what the socket holds at once, which may settle it on the spot.
   */
  #wait<T>(): Promise<T> {
    const waiting = new Promise<T>((resolve, reject) => {
      this.#waiting = { resolve: resolve as (value: unknown) => void, reject };
    });
    this.#resume();
    return waiting;
  }

  #resume(): void {
    if (this.#controller?.paused) this.#controller.resume();
  }

  /**
   * The iterator's reader has the whole answer (`answerComplete`: a stream's finish). The body's
   * end is usually in already (the connection is back in the pool), or on its way in the next
   * packet: it is let in, and anything before it dropped, so the connection can still go back.
   * An upstream that goes on sending past `discardLimit`, or leaves the body open past
   * `endGraceMs`, has its connection closed: reading it to its end would cost a connection, and
   * CPU, for as long as the provider likes.
   */
  #settle(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    this.#chunks = [];
    if (this.#ended || this.#error) this.#release();
    else if (this.#queuedBytes > discardLimit) this.#close();
    else {
      // Chunks still unread count against the limit (they came after the answer's end).
      this.#reader = 'discard';
      this.#endTimer = setTimeout(this.#endLate, endGraceMs);
      this.#endTimer.unref();
      this.#resume();
    }
    waiting?.resolve({ done: true, value: undefined });
  }

  readonly #endLate = (): void => {
    this.#endTimer = undefined;
    this.#close();
  };

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
    const reason = this.#options.signal.reason as Error;
    // Still waiting for a connection: the caller learns now, not once one is free (the request
    // is aborted when undici starts it, in onRequestStart). Once started, undici reports the
    // reason through onResponseError, which maps it with the signal's reason.
    if (this.#controller === undefined) this.#rejectResponse(this.#options.toError(reason));
    else this.#controller.abort(reason);
  };

  #release(): void {
    this.#options.signal.removeEventListener('abort', this.#onAbort);
    if (this.#endTimer !== undefined) {
      clearTimeout(this.#endTimer);
      this.#endTimer = undefined;
    }
  }
}
