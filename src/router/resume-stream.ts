import type { ChatRequest } from '../core/chat-request.ts';
import { GatewayError, toGatewayError } from '../core/errors.ts';
import type { UpstreamProgress } from '../core/http-client.ts';
import type { AttemptRecord } from '../core/ledger.ts';
import type { ModelInfo } from '../core/model.ts';
import type { EventReader, FinishEvent, NativeChunkEvent, ReadResult, StreamEvent } from '../core/stream-event.ts';
import { PullReader, type PullController } from '../streams/event-reader.ts';
import { promptAsReported, sumUsage, type Usage } from '../core/usage.ts';
import { countPromptTokens, countTextTokens } from '../tokens/count.ts';
import { StreamedText } from '../tokens/streamed-text.ts';
import { stallTimeout } from './deadlines.ts';
import type { PeekedStream } from './peek-stream.ts';
import { continuationRequest } from './continuation-request.ts';
import { ContinuationOverlap } from './resume-overlap.ts';
import type { AbortSignalLike } from '../core/abort.ts';

/** Most continuations of one answer: a provider that breaks every stream must not loop forever. */
const maxResumes = 4;
/**
 * Longest answer continued after a break (characters): its text goes back as the next call's
 * prefix, and past this (some 250,000 tokens) it would not fit a model's window anyway.
 */
const maxContinuedChars = 1 << 20;

/** A call that answered and may still be running (a stream being read). */
export interface LiveAttempt {
  model: ModelInfo;
  /** Its ledger entry, updated if its stream breaks later. */
  record: AttemptRecord;
  startedAt: number;
  /** Longest silence of the provider mid-stream: no event, nor any bytes (keep-alives) since the last. */
  stallMs: number;
  /** When its answer last brought bytes (its ProviderCall, written by the transport). */
  progress: UpstreamProgress;
  /** Aborts its upstream call. */
  abort(reason: GatewayError): void;
  /** Stops listening to the request's signals (once its stream has ended). */
  release(): void;
}

/** A streamed attempt read up to its first output. */
export interface StreamAttempt extends PeekedStream, LiveAttempt {
  /** Its provider may repeat the prefix before continuing it (src/core/provider-adapter.ts `Continuation`). */
  mayRepeatPrefix?: boolean;
}

/** The executor's side of a resume (src/router/execute.ts). */
export interface StreamContinuer {
  /** The attempt's stream broke after output: record it (ledger, circuit breaker) and stop listening to it. */
  broke(attempt: StreamAttempt, error: GatewayError): void;
  /** The attempt that continues the answer, sending `continuation`; undefined when no candidate can. */
  continueStream(broken: StreamAttempt, error: GatewayError, continuation: ChatRequest): Promise<StreamAttempt | undefined>;
}

export interface ResumeOptions {
  continuer: StreamContinuer;
  /** The request's signal: once it aborted (caller gone, drain deadline) nothing is resumed. */
  signal: AbortSignalLike;
  /** The route's `resume_streams`. */
  resume: boolean;
}

/**
 * The caller's stream of a streamed chat (docs/decisions/0007-stream-resume.md): the first
 * attempt's events, watched for stalls (`stall_timeout_ms` between two events, one timer reset
 * per read), and continued when it breaks or stalls after output. The answer so far (text only:
 * once reasoning, a refusal or a tool call went out there is nothing a provider can continue) is
 * sent as an assistant prefix to the next attempt that can continue it; its events are spliced in
 * so the caller sees one stream: one stream-start, the text going on in the same block without a
 * character repeated or lost, exactly one finish whose usage sums every attempt. When nothing can
 * continue, the stream ends with an error event, never as if it had finished.
 */
export function resumableStream(first: StreamAttempt, request: ChatRequest, options: ResumeOptions): EventReader<StreamEvent> {
  const resumable = new ResumableStream(first, request, options);
  return new PullReader<StreamEvent>({
    pull: (controller) => resumable.pull(controller),
    pullNow: (controller) => resumable.pullNow(controller),
    cancel: (reason) => resumable.cancel(reason),
  });
}

type Controller = PullController<StreamEvent>;

class ResumableStream {
  readonly #original: ChatRequest;
  readonly #options: ResumeOptions;
  #attempt: StreamAttempt;
  /** What the current attempt was sent (for counting its tokens if it breaks). */
  #request: ChatRequest;
  /** Every piece of text the caller got, in order, while the answer may be continued. */
  #sent: string[] = [];
  #sentChars = 0;
  /** The text the current attempt produced, for counting its tokens if it breaks. */
  #attemptText = new StreamedText();
  /** The current attempt's prompt as its provider counted it at its start (`stream-start`), if it did. */
  #attemptInput: Usage | undefined;
  /** Only text went out so far: a provider can continue it. */
  #continuable = true;
  /** The caller's open text block. */
  #openTextId: string | undefined;
  /** The continuation's text block ids → the caller's. */
  readonly #ids = new Map<string, string>();
  #overlap: ContinuationOverlap | undefined;
  /** An upstream `error` event in native form, held until it is known whether the stream resumes. */
  #heldError: NativeChunkEvent | undefined;
  #resumes = 0;
  /** Usage of the attempts that broke. */
  readonly #spent: Array<{ model: ModelInfo; usage: Usage }> = [];
  #timer: NodeJS.Timeout | undefined;
  #reading = false;
  #stalled: GatewayError | undefined;
  #ended = false;
  /** The reader pulling this stream (the same for every pull). */
  #controller: Controller | undefined;
  /** The current attempt's end or error event, taken by `pullNow` and left to the next `pull`. */
  #polledEnd: ReadResult<StreamEvent> | undefined;
  /** A failure is being recovered from (another provider called): nothing is taken meanwhile. */
  #recovering = false;

  constructor(first: StreamAttempt, request: ChatRequest, options: ResumeOptions) {
    this.#original = request;
    this.#request = request;
    this.#options = options;
    this.#attempt = first;
    this.#watch();
  }

  /**
   * Passes on the current attempt's next event, or recovers from its failure. Not an async
   * function: the replayed events are passed at once, and a read is chained to its promise with
   * handlers bound once per stream, so an event allocates no async frame here
   * (src/streams/event-reader.ts, PullReader).
   */
  pull(controller: Controller): Promise<void> | void {
    this.#controller = controller;
    while (!this.#ended) {
      const buffered = this.#attempt.buffered.shift();
      if (!buffered) break;
      // The events read before the first output (src/router/peek-stream.ts): never an error event.
      if (this.#forward(buffered, controller)) return;
    }
    if (this.#ended) return;
    const polledEnd = this.#polledEnd;
    if (polledEnd) {
      this.#polledEnd = undefined;
      return this.#read(polledEnd);
    }
    this.#reading = true;
    this.#timer?.refresh();
    try {
      return this.#attempt.reader.read().then(this.#read, this.#readFailed);
    } catch (error) {
      return this.#readFailed(error);
    }
  }

  /**
   * `pull` with only what is ready now (PullReader `pullNow`): a replayed event, or one the
   * current attempt has ready. The attempt's end or failure, which a resume handles
   * asynchronously, is kept for the next `pull`. Nothing is taken while a pull of this stream is
   * still under way: its read of the attempt (a pull goes on reading after events it swallowed,
   * with no read of the caller's waiting) or a recovery. An event taken then would pass the one
   * that read is bringing, or come from the attempt that broke. With no read pending, the stall
   * timer is left as it is (it runs only while one is). False when nothing was passed on.
   */
  pullNow(controller: Controller): boolean {
    this.#controller = controller;
    if (this.#ended || this.#polledEnd || this.#reading || this.#recovering) return false;
    const buffered = this.#attempt.buffered.shift();
    if (buffered) {
      // Passed on or swallowed: either way the reader polls again.
      this.#forward(buffered, controller);
      return true;
    }
    const next = this.#attempt.reader.poll?.();
    if (next === undefined) return false;
    if (next.done || next.value.type === 'error') {
      this.#polledEnd = next;
      return false;
    }
    this.#forward(next.value, controller);
    return true;
  }

  async cancel(reason: unknown): Promise<void> {
    this.#end();
    this.#attempt.release();
    await this.#attempt.reader.cancel(reason).catch(() => undefined);
  }

  /** A read of the current attempt answered: its event passed on, or its failure recovered from. */
  readonly #read = (next: ReadResult<StreamEvent>): Promise<void> | void => {
    this.#reading = false;
    if (this.#stalled) return this.#failed(this.#stalled);
    if (next.done) {
      const provider = this.#attempt.model.providerId;
      return this.#failed(new GatewayError('SB_ERR_STREAM_INTERRUPTED', `Provider "${provider}" ended the stream before it finished`, { provider }));
    }
    if (next.value.type === 'error') return this.#failed(next.value.error, next.value.usage);
    if (this.#ended) return;
    // An event that was swallowed (a continuation's repeated start, a held error) is followed by the next.
    if (!this.#forward(next.value, this.#controller!)) return this.pull(this.#controller!);
  };

  readonly #readFailed = (error: unknown): Promise<void> | void => {
    this.#reading = false;
    return this.#failed(this.#stalled ?? toGatewayError(error));
  };

  /**
   * The current attempt failed: continue on another (then pull again) or end with the error.
   * `reported`: what the failed call used, when its error event said (a failed generation).
   */
  #failed(failure: GatewayError, reported?: Usage): Promise<void> | void {
    if (this.#ended) return;
    const controller = this.#controller!;
    this.#recovering = true;
    return this.#recover(failure, controller, reported).then(
      (resumed) => {
        this.#recovering = false;
        return resumed ? this.pull(controller) : undefined;
      },
      (error: unknown) => {
        this.#recovering = false;
        throw error;
      },
    );
  }

  /** Passes one event on; true once something was enqueued (or the stream closed). */
  #forward(event: StreamEvent, controller: Controller): boolean {
    if (this.#heldError && event.type !== 'native-chunk') {
      controller.enqueue(this.#heldError);
      this.#heldError = undefined;
    }
    const continuing = this.#resumes > 0;
    switch (event.type) {
      case 'stream-start':
        this.#attemptInput = event.inputUsage;
        if (continuing) return false;
        break;
      case 'native-chunk':
        if (event.event === 'error') {
          this.#heldError = event;
          return false;
        }
        break;
      case 'text-start': {
        if (!continuing) {
          this.#openTextId = event.id;
          break;
        }
        if (this.#openTextId !== undefined) {
          this.#ids.set(event.id, this.#openTextId);
          return false;
        }
        this.#ids.set(event.id, event.id);
        this.#openTextId = event.id;
        break;
      }
      case 'text-delta': {
        const text = this.#overlap ? this.#overlap.take(event.delta) : event.delta;
        if (text === '') return false;
        this.#keepSent(text);
        this.#attemptText.add(text);
        controller.enqueue(continuing ? { type: 'text-delta', id: this.#ids.get(event.id) ?? event.id, delta: text } : event);
        return true;
      }
      case 'text-end': {
        const id = continuing ? (this.#ids.get(event.id) ?? event.id) : event.id;
        this.#flushOverlap(controller, id);
        if (id === this.#openTextId) this.#openTextId = undefined;
        controller.enqueue(continuing ? { type: 'text-end', id } : event);
        return true;
      }
      case 'finish':
        this.#finish(event, controller);
        return true;
      case 'warning':
      case 'resume':
        break;
      default:
        // Reasoning, a refusal or a tool call: nothing a provider could continue from here on.
        this.#stopContinuing();
        if (continuing && this.#openTextId !== undefined) {
          this.#flushOverlap(controller, this.#openTextId);
          controller.enqueue({ type: 'text-end', id: this.#openTextId });
          this.#openTextId = undefined;
        }
        if (event.type === 'tool-input-delta' || event.type === 'reasoning-delta' || event.type === 'refusal-delta') this.#attemptText.add(event.delta);
    }
    controller.enqueue(event);
    return true;
  }

  /** The last attempt finished: the one finish the caller gets, its usage summing every attempt. */
  #finish(event: FinishEvent, controller: Controller): void {
    if (this.#openTextId !== undefined) this.#flushOverlap(controller, this.#openTextId);
    controller.enqueue(this.#spent.length > 0 ? { ...event, ...this.#everyAttempt(event.usage) } : event);
    this.#attempt.release();
    this.#close(controller);
  }

  /**
   * The current attempt failed after output: continue on another attempt (true), or end the
   * stream with the error (false).
   */
  async #recover(failure: GatewayError, controller: Controller, reported: Usage | undefined): Promise<boolean> {
    this.#clearTimer();
    const broken = this.#attempt;
    if (this.#options.signal.aborted) {
      // The caller left, or the drain deadline passed: its reason is the stream's end.
      broken.release();
      const reason: unknown = this.#options.signal.reason;
      this.#fail(controller, GatewayError.isInstance(reason) ? reason : failure, reported);
      return false;
    }
    this.#options.continuer.broke(broken, failure);
    const continuation = this.#options.resume && this.#continuable && this.#resumes < maxResumes ? continuationRequest(this.#original, this.#sent) : undefined;
    if (!continuation) {
      this.#fail(controller, failure, reported);
      return false;
    }
    this.#spent.push({ model: broken.model, usage: reported ?? this.#estimate() });
    const next = await this.#options.continuer.continueStream(broken, failure, continuation);
    if (this.#ended) {
      if (next) await this.#cancelAttempt(next);
      return false;
    }
    if (!next) {
      // The broken attempt is still the current one: #fail counts it again with the others.
      this.#spent.pop();
      const reason: unknown = this.#options.signal.aborted ? this.#options.signal.reason : undefined;
      this.#fail(controller, GatewayError.isInstance(reason) ? reason : failure, reported);
      return false;
    }
    // The native error event of the broken attempt is not the stream's end any more.
    this.#heldError = undefined;
    this.#attempt = next;
    this.#request = continuation;
    this.#attemptText = new StreamedText();
    this.#attemptInput = undefined;
    this.#resumes += 1;
    this.#ids.clear();
    this.#overlap = new ContinuationOverlap(this.#sent.join(''), next.mayRepeatPrefix ?? false);
    this.#watch();
    controller.enqueue({ type: 'resume', spent: this.#spent.slice(), model: next.model });
    return true;
  }

  async #cancelAttempt(attempt: StreamAttempt): Promise<void> {
    attempt.release();
    await attempt.reader.cancel().catch(() => undefined);
  }

  /**
   * The usage of every attempt after a resume, the current one's `last` (its own report, else
   * counted), and their sum: what the stream's last event carries, finish or error.
   */
  #everyAttempt(last: Usage | undefined): { usage: Usage; usageByAttempt: Array<{ model: ModelInfo; usage: Usage }> } {
    const parts = [...this.#spent, { model: this.#attempt.model, usage: last ?? this.#estimate() }];
    return { usage: sumUsage(parts), usageByAttempt: parts };
  }

  /**
   * What the current attempt cost, counted (it broke before reporting usage): its prompt as its
   * provider counted it at the start when it did (cache reads and writes priced as such, as
   * src/ledger/usage-tap.ts does for a stream that is not resumed), else by our own count.
   */
  #estimate(): Usage {
    const reported = this.#attemptInput;
    if (reported !== undefined) return promptAsReported(reported, this.#attemptText.tokens());
    const prefix = this.#request.assistantPrefix;
    return {
      inputTokens: countPromptTokens(this.#request) + (prefix ? countTextTokens(prefix) : 0),
      outputTokens: this.#attemptText.tokens(),
      estimated: true,
    };
  }

  /**
   * Keeps text the caller got, for a continuation's prefix; past `maxContinuedChars` (or once
   * it cannot be continued) none is kept: a stream of endless text held all of it until it ended.
   */
  #keepSent(text: string): void {
    if (!this.#continuable || !this.#options.resume) return;
    this.#sentChars += text.length;
    if (this.#sentChars > maxContinuedChars) this.#stopContinuing();
    else this.#sent.push(text);
  }

  #stopContinuing(): void {
    this.#continuable = false;
    this.#sent = [];
  }

  #flushOverlap(controller: Controller, id: string): void {
    const held = this.#overlap?.flush();
    this.#overlap = undefined;
    if (!held) return;
    this.#keepSent(held);
    this.#attemptText.add(held);
    controller.enqueue({ type: 'text-delta', id, delta: held });
  }

  /**
   * Ends the stream with `error`, carrying what the calls used as far as it is known: the failed
   * call's own report (`reported`), and after a resume every attempt's, priced each at its model's
   * rates as on a finish. Without either the ledger counts what was streamed (src/ledger/usage-tap.ts).
   */
  #fail(controller: Controller, error: GatewayError, reported?: Usage): void {
    if (this.#heldError) controller.enqueue(this.#heldError);
    this.#heldError = undefined;
    if (this.#spent.length > 0) {
      controller.enqueue({ type: 'error', error, ...this.#everyAttempt(reported) });
    } else {
      controller.enqueue(reported ? { type: 'error', error, usage: reported } : { type: 'error', error });
    }
    this.#close(controller);
  }

  #close(controller: Controller): void {
    this.#end();
    controller.close();
  }

  #end(): void {
    this.#ended = true;
    this.#clearTimer();
  }

  /**
   * Arms the stall timer of the current attempt: it runs only while an upstream read is pending.
   * Bytes that brought no event (an Anthropic `ping`, an SSE comment) show the provider alive:
   * when some came within the limit, the timer waits out the rest of it from their arrival.
   */
  #watch(): void {
    this.#clearTimer();
    this.#stalled = undefined;
    this.#armStall(this.#attempt, this.#attempt.stallMs);
  }

  #armStall(attempt: StreamAttempt, waitMs: number): void {
    this.#timer = setTimeout(() => {
      if (!this.#reading || this.#ended || attempt !== this.#attempt) return;
      const lastDataAt = attempt.progress.lastDataAt;
      const silentMs = lastDataAt === undefined ? attempt.stallMs : performance.now() - lastDataAt;
      if (silentMs < attempt.stallMs) return this.#armStall(attempt, attempt.stallMs - silentMs);
      this.#stalled = stallTimeout(attempt.model, attempt.stallMs);
      attempt.abort(this.#stalled);
    }, waitMs);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
