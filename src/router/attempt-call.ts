import { LightAbortController, type AbortSignalLike } from '../core/abort.ts';
import type { ModelInfo } from '../core/model.ts';
import { answerTimeout, firstTokenTimeout } from './deadlines.ts';

/**
 * One call to a provider, as its abort signal: aborted when the request's signal aborts (the
 * caller left, the drain deadline), when its hedge lane is called off, or at its deadline.
 *
 * One object for what were four closures and a timer callback (the abort, a listener per signal,
 * the release, the deadline): every request keeps them for the provider's whole answer time, and
 * with a thousand calls in flight what a request keeps is copied by each young collection and
 * promoted (docs/performance.md, "A thousand calls in flight").
 */
export class AttemptCall extends LightAbortController {
  readonly #request: AbortSignalLike;
  readonly #cancel: AbortSignalLike | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The one listener on both signals: whichever aborted gives its reason. */
  readonly #onAbort = (): void => this.abort(this.#request.aborted ? this.#request.reason : this.#cancel?.reason);

  constructor(request: AbortSignalLike, cancel: AbortSignalLike | undefined) {
    super();
    this.#request = request;
    this.#cancel = cancel;
    request.addEventListener('abort', this.#onAbort, { once: true });
    cancel?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /**
   * Aborts the call after `limitMs`: the whole answer's timeout, or (`firstToken`, streams) the
   * first token's; resume-stream.ts's stall timer takes over once it came.
   */
  expireAfter(limitMs: number, model: ModelInfo, firstToken: boolean): void {
    this.#timer = setTimeout(expire, limitMs, this, model, limitMs, firstToken);
  }

  /** The call answered or failed: its deadline no longer applies. */
  settled(): void {
    clearTimeout(this.#timer);
  }

  /** Stops listening to the request's signals (at once for an answer, when its stream ends for a stream). */
  release(): void {
    this.#request.removeEventListener('abort', this.#onAbort);
    this.#cancel?.removeEventListener('abort', this.#onAbort);
  }
}

/** The timer's callback, one for every call (setTimeout passes the arguments; no closure per call). */
function expire(call: AttemptCall, model: ModelInfo, limitMs: number, firstToken: boolean): void {
  call.abort(firstToken ? firstTokenTimeout(model, limitMs) : answerTimeout(model, limitMs));
}
