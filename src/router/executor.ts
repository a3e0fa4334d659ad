import { GatewayError, toGatewayError } from '../core/errors.ts';
import type { AttemptRecord } from '../core/ledger.ts';
import type { ModelInfo } from '../core/model.ts';
import type { ProviderAdapter, ProviderCall } from '../core/provider-adapter.ts';
import type { RoutingStateStore } from '../core/routing-state.ts';
import type { Usage } from '../core/usage.ts';
import { LightAbortController, waitUnlessAborted, type AbortSignalLike } from '../core/abort.ts';
import { allFailed, attemptRecord, countsAgainstDeployment } from './attempt-outcome.ts';
import { AttemptCall } from './attempt-call.ts';
import { streamDeadlines, type StreamDeadlines } from './deadlines.ts';
import { deploymentKey } from './deployment.ts';
import type { Plan } from './plan.ts';
import type { LiveAttempt } from './resume-stream.ts';

/** A configured provider as the executor calls it. */
export interface ProviderHandle {
  adapter: ProviderAdapter;
  timeoutMs: number;
}

/** Per-request inputs of the attempt loop. */
export interface ExecutionContext {
  requestId: string;
  /** Aborted when the caller goes away (or at the drain deadline, with its reason). */
  signal: AbortSignalLike;
  provider(id: string): ProviderHandle | undefined;
  /** Every attempt is appended here as it ends, successful or not (the ledger keeps them). */
  attempts: AttemptRecord[];
  /** Learned state: health (circuit breaker), latency, provider load. */
  state: RoutingStateStore;
  /** Tokens to count against providers' tpm windows (0 when no provider has a tpm limit). */
  dispatchTokens?: number;
  /** A failed attempt's provider reported what it used (`GatewayError.usage`): it is paid for. `attempt`: its entry in `attempts`. */
  spend?(model: ModelInfo, usage: Usage, attempt: AttemptRecord): void;
  /** The prompt's tokens as Switchboard counts them: what a hedged call cancelled in flight was billed for at least. */
  promptTokens?(): number;
}

/** What answered. */
export interface Execution<T> {
  value: T;
  model: ModelInfo;
}

/** One call of a candidate's provider: its answer (a stream: read up to its first output). */
export type Attempt<T> = (handle: ProviderHandle, call: ProviderCall) => Promise<T>;

/**
 * Failures another call of the same deployment would repeat (or, for a timeout, not worth the
 * wait): the next candidate is tried at once, without the route's retries (docs/routing.md
 * "Moving on at once"). A 404 is the provider not knowing the configured upstream model, as no
 * SDK retries it (OpenAI's and Anthropic's retry 408, 409, 429 and 5xx only).
 */
const movesOnAtOnce: ReadonlySet<string> = new Set(['SB_ERR_UPSTREAM_TIMEOUT', 'SB_ERR_UPSTREAM_AUTH', 'SB_ERR_UPSTREAM_NOT_FOUND', 'SB_ERR_CONTEXT_LENGTH']);

/** With no other candidate left, a retry-after up to this long is still waited out. */
const longestRetryWaitMs = 10_000;

/** A candidate that answered. */
export interface Success<T> {
  value: T;
  model: ModelInfo;
  /** Streams: the attempt that goes on while its stream is read. */
  live?: LiveAttempt;
}

/** A candidate that did not answer; `stop` ends the request (non-retryable or caller gone). */
interface Failure {
  error: GatewayError;
  stop: boolean;
}

/** How #candidate treats one candidate. */
interface CandidateOptions {
  /** This call holds the deployment's half-open probe: a single attempt, no retries. */
  probe: boolean;
  /** Another candidate comes after this one. */
  othersLeft: boolean;
  /** A stream continuation (resume): a single attempt, and a refusal moves on rather than ending the request. */
  continuation?: boolean;
}

/** One candidate as #candidate calls it, across its retries. */
interface Candidate<T> {
  model: ModelInfo;
  attempt: Attempt<T>;
  /** Hedging only: calls it off when the other candidate won. */
  lane: HedgeLane | undefined;
  options: CandidateOptions;
  handle: ProviderHandle;
  /** Its deployment (circuit breaker, probe). */
  key: string;
  /** A single call: a probe or a continuation. */
  single: boolean;
  retries: number;
  timeoutMs: number;
  /** Streams: the first token's and the stall's limits. */
  deadlines: StreamDeadlines | undefined;
}

/**
 * The attempt loop (../shared/SPEC.md `retry`, `timeout_ms`, `fallbacks`; docs/routing.md):
 * candidates in plan order; each gets its retries with exponential backoff and jitter that
 * honours retry-after; a timeout, a rejected provider key (401/403), a 429 with another candidate
 * left (unless its retry-after is short enough to wait out), or a context-length error moves on at
 * once (the latter only to models with a larger window); a non-retryable error ends the request.
 * Deployments in cooldown are skipped; a half-open one gets a single probe, never retried, and a
 * deployment whose circuit opens during the request is not called again in it.
 * With `hedge_after_ms`, the next candidate starts in parallel when the current one has not
 * answered in time, and the first answer wins.
 */
export class Executor<T> {
  readonly #plan: Plan;
  readonly #context: ExecutionContext;
  readonly #streaming: boolean;
  /** Candidates not tried yet, in plan order. */
  readonly #queue: ModelInfo[];
  /**
   * After a context-length error: the largest known window that was too small (-1: none), and
   * the upstream models that refused, so only candidates with a larger known window, or an
   * unknown window and another upstream model, are tried (docs/routing.md, "Moving on at once").
   */
  #minimumWindow = -1;
  #tooSmall: string[] | undefined;
  #lastError: GatewayError | undefined;

  constructor(plan: Plan, context: ExecutionContext, streaming: boolean) {
    this.#plan = plan;
    this.#context = context;
    this.#streaming = streaming;
    this.#queue = [...plan.candidates];
  }

  /**
   * The candidates in turn until one answers. A promise chain, not an async loop: its suspended
   * frame was kept for the provider's whole answer time (executeChat's comment).
   */
  run(attempt: Attempt<T>): Promise<Success<T>> {
    try {
      const next = this.#nextStartable();
      if (!next) return Promise.reject(allFailed(this.#context.attempts, this.#lastError, this.#lastError ? undefined : this.#cooldownLeftSeconds()));
      const hedge = this.#plan.hedgeAfterMs !== undefined ? this.#nextStartable() : undefined;
      const outcome = hedge ? this.#hedged(next, hedge, attempt) : this.#candidate(next.model, attempt, undefined, { probe: next.probe, othersLeft: this.#queue.length > 0 });
      return outcome.then((settled) => {
        if ('value' in settled) return settled;
        if (settled.stop) throw settled.error;
        if (settled.error.code === 'SB_ERR_CONTEXT_LENGTH') this.#tooLong(next.model);
        return this.run(attempt);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Seconds until the first of the plan's deployments in cooldown may take its probe (1 at least). */
  #cooldownLeftSeconds(): number {
    const snapshot = this.#context.state.snapshot();
    let soonest = Number.POSITIVE_INFINITY;
    for (const model of this.#plan.candidates) {
      const state = snapshot.deployment(deploymentKey(model));
      // Past its cooldown with a probe in flight: that probe settles it soon.
      if (state.openUntil > 0) soonest = Math.min(soonest, Math.max(state.openUntil - snapshot.now, 0));
    }
    return Number.isFinite(soonest) ? Math.max(1, Math.ceil(soonest / 1000)) : 1;
  }

  /**
   * The stream of `broken` broke after output: its ledger entry says how, and the failure counts
   * against its deployment like any other.
   */
  broke(broken: LiveAttempt, error: GatewayError): void {
    broken.release();
    Object.assign(broken.record, {
      outcome: 'error',
      errorCode: error.code,
      message: error.message,
      latencyMs: Math.round(performance.now() - broken.startedAt),
      // The status the stream was answered with stays: an error event inside it is not a status the provider sent.
      ...(broken.record.upstreamStatus === undefined && error.upstreamStatus !== undefined ? { upstreamStatus: error.upstreamStatus } : {}),
    });
    this.#lastError = error;
    if (countsAgainstDeployment(error)) this.#context.state.recordFailure(deploymentKey(broken.model), {});
  }

  /**
   * The attempt that continues a broken stream (`attempt` sends the continuation), started and
   * read up to its first output: the same model first after a cut (not after a stall, which
   * moves on like any timeout, nor once its circuit is open), then the candidates not tried yet,
   * each only if `accepts` its adapter. A candidate that refuses the continuation (a 400) is passed
   * over. Undefined when none answered; the caller then gets the stream's error.
   */
  async continueWith(broken: LiveAttempt, error: GatewayError, attempt: Attempt<T>, accepts: (adapter: ProviderAdapter) => boolean): Promise<Success<T> | undefined> {
    const from = this.#context.attempts.indexOf(broken.record);
    const same = error.code === 'SB_ERR_UPSTREAM_TIMEOUT' ? [] : [broken.model];
    for (let model = same.shift() ?? this.#queue.shift(); model; model = this.#queue.shift()) {
      if (this.#context.signal.aborted) return undefined;
      const handle = this.#context.provider(model.providerId);
      if (!handle || !accepts(handle.adapter)) continue;
      const admission = this.#context.state.admit(deploymentKey(model));
      if (admission === 'refused') continue;
      const outcome = await this.#candidate(model, attempt, undefined, { probe: admission === 'probe', othersLeft: this.#queue.length > 0, continuation: true });
      if ('value' in outcome) {
        if (from >= 0) outcome.live!.record.resumedFrom = from;
        return outcome;
      }
      if (outcome.stop) return undefined;
    }
    return undefined;
  }

  /** `model` refused the prompt as longer than its context window. */
  #tooLong(model: ModelInfo): void {
    if (model.contextWindow !== undefined) this.#minimumWindow = Math.max(this.#minimumWindow, model.contextWindow);
    (this.#tooSmall ??= []).push(model.upstream);
  }

  /**
   * Whether a candidate may take a prompt that was too long for a model tried before: its
   * window is known and larger than every known window that refused it; or unknown, and it is
   * not an upstream model that refused it already (on another provider: the same model, the
   * same window).
   */
  #mayFit(model: ModelInfo): boolean {
    if (model.contextWindow !== undefined) return model.contextWindow > this.#minimumWindow;
    return !this.#tooSmall!.includes(model.upstream);
  }

  /** The next candidate that may be called now (claiming its half-open probe where it has one). */
  #nextStartable(): { model: ModelInfo; probe: boolean } | undefined {
    for (let model = this.#queue.shift(); model; model = this.#queue.shift()) {
      if (this.#tooSmall !== undefined && !this.#mayFit(model)) continue;
      if (this.#context.provider(model.providerId) === undefined) continue;
      const admission = this.#context.state.admit(deploymentKey(model));
      if (admission !== 'refused') return { model, probe: admission === 'probe' };
    }
    return undefined;
  }

  /**
   * Two candidates, the second started after hedge_after_ms unless the first settled; first
   * success wins. The loser's call in flight is entered in the ledger as aborted when the winner
   * is known, before the answer and its row go out, and then cancelled: recorded later, it would
   * miss the row already journaled (docs/decisions/0011-ledger-write-path.md).
   */
  async #hedged(first: { model: ModelInfo; probe: boolean }, second: { model: ModelInfo; probe: boolean }, attempt: Attempt<T>): Promise<Success<T> | Failure> {
    const lanes: HedgeLane[] = [newLane(first.model), newLane(second.model)];
    const runs: Array<Promise<Success<T> | Failure>> = [this.#candidate(first.model, attempt, lanes[0], { probe: first.probe, othersLeft: true })];
    const runSecond = () => this.#candidate(second.model, attempt, lanes[1], { probe: second.probe, othersLeft: this.#queue.length > 0 });
    let timer: NodeJS.Timeout | undefined;
    const started = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        runs.push(runSecond());
        resolve();
      }, this.#plan.hedgeAfterMs);
    });
    const firstOutcome = await Promise.race([runs[0]!, started.then(() => undefined)]);
    if (firstOutcome !== undefined) {
      clearTimeout(timer);
      if ('value' in firstOutcome || firstOutcome.stop) {
        // The second candidate was never called: its probe, if it held one, goes to the next request.
        if (second.probe) this.#context.state.releaseProbe(deploymentKey(second.model));
        return firstOutcome;
      }
      return runSecond();
    }
    const winner = await firstSuccess(runs);
    const lost = new GatewayError('SB_ERR_CLIENT_CLOSED', 'Hedged request lost the race');
    lanes.forEach((lane, index) => {
      if (winner.index === index) return;
      if (lane.startedAt !== undefined) {
        const record = attemptRecord(lane.model, 'aborted', performance.now() - lane.startedAt, lost);
        this.#context.attempts.push(record);
        // The provider had the prompt and began on it: it bills at least the prompt, which the
        // row counts (estimated, at the lane's model's input price) rather than nothing.
        const promptTokens = this.#context.promptTokens?.();
        if (promptTokens) this.#context.spend?.(lane.model, { inputTokens: promptTokens, outputTokens: 0, estimated: true }, record);
        lane.recorded = true;
      }
      lane.controller.abort(lost);
    });
    return winner.outcome;
  }

  /** One candidate with its retries; `lane` (hedging only) calls it off when the other won. */
  #candidate(model: ModelInfo, attempt: Attempt<T>, lane: HedgeLane | undefined, options: CandidateOptions): Promise<Success<T> | Failure> {
    const handle = this.#context.provider(model.providerId)!;
    const single = options.probe || options.continuation === true;
    const timeoutMs = this.#plan.timeoutMs ?? handle.timeoutMs;
    const deadlines = this.#streaming ? streamDeadlines(this.#plan, model, timeoutMs) : undefined;
    return this.#call({ model, attempt, lane, options, handle, key: deploymentKey(model), single, retries: single ? 0 : this.#plan.retry.attempts, timeoutMs, deadlines }, 0);
  }

  /**
   * The candidate's call number `retry` (0 the first), and what follows it: a promise chain, not
   * an async loop, whose suspended frame (41 registers) every request kept for the provider's
   * whole answer time (executeChat's comment). `#failed` makes the next call only while `retry` is
   * below the candidate's retries.
   */
  #call(candidate: Candidate<T>, retry: number): Promise<Success<T> | Failure> {
    const { model, lane, options } = candidate;
    const cancel = lane?.controller;
    // The caller left, or the drain deadline passed, before this call (while the request waited
    // on its budget, or on a retry): a listener added now would never fire, so no call is made.
    if (this.#context.signal.aborted) {
      if (options.probe) this.#context.state.releaseProbe(candidate.key);
      return Promise.resolve({ error: callerEnded(this.#context.signal), stop: true });
    }
    // Opened meanwhile by another request's failures: no more calls to it in this one.
    if (retry > 0 && this.#circuitOpen(candidate.key)) return Promise.resolve({ error: this.#lastError!, stop: false });
    // The other hedged candidate won while this one waited to retry.
    if (cancel?.signal.aborted) return Promise.resolve({ error: cancel.signal.reason as GatewayError, stop: false });
    const startedAt = performance.now();
    if (lane) lane.startedAt = startedAt;
    const call = new AttemptCall(this.#context.signal, cancel?.signal);
    const { deadlines, timeoutMs } = candidate;
    // One timer per attempt: the whole answer, or (streams) the first token.
    call.expireAfter(deadlines ? deadlines.ttftMs : timeoutMs, model, deadlines !== undefined);
    this.#context.state.recordDispatch(model.providerId, this.#context.dispatchTokens ?? 0);
    const providerCall: ProviderCall = {
      model: model.upstream,
      signal: call,
      // The transport's own limits stay behind ours, so the error names the deadline that passed.
      timeoutMs: deadlines ? Math.max(timeoutMs, deadlines.ttftMs, deadlines.stallMs) : timeoutMs,
      requestId: this.#context.requestId,
      // Written by the transport when the provider answers and as its body comes; set now so the object keeps one shape.
      upstreamStatus: undefined,
      lastDataAt: undefined,
      ...(model.maxOutputTokens !== undefined ? { maxOutputTokens: model.maxOutputTokens } : {}),
    };
    let answer: Promise<T>;
    try {
      answer = candidate.attempt(candidate.handle, providerCall);
    } catch (thrown) {
      answer = Promise.reject(thrown);
    }
    return answer.then(
      (value) => this.#answered(candidate, call, providerCall, startedAt, value),
      (thrown: unknown) => this.#failed(candidate, retry, call, providerCall, startedAt, thrown),
    );
  }

  /** The candidate's call answered (a stream: up to its first output). */
  #answered(candidate: Candidate<T>, call: AttemptCall, providerCall: ProviderCall, startedAt: number, value: T): Success<T> | Failure {
    const { model, lane } = candidate;
    call.settled();
    if (lane) lane.startedAt = undefined;
    if (lane?.recorded) {
      // It answered just as it lost the race, which entered it as aborted: not a second entry.
      call.release();
      return { error: lane.controller.signal.reason as GatewayError, stop: false };
    }
    const latencyMs = performance.now() - startedAt;
    const record = attemptRecord(model, 'ok', latencyMs, undefined, providerCall.upstreamStatus);
    this.#context.attempts.push(record);
    this.#context.state.recordSuccess(candidate.key, { latencyMs, streamed: this.#streaming });
    // A stream keeps listening: the caller leaving or a lost hedge must still cancel it.
    if (!this.#streaming) {
      call.release();
      return { value, model };
    }
    const live: LiveAttempt = {
      model,
      record,
      startedAt,
      stallMs: candidate.deadlines?.stallMs ?? candidate.timeoutMs,
      progress: providerCall,
      abort: (reason) => call.abort(reason),
      release: () => call.release(),
    };
    return { value, model, live };
  }

  /** The candidate's call failed: the outcome, or the next call after its backoff. */
  #failed(candidate: Candidate<T>, retry: number, call: AttemptCall, providerCall: ProviderCall, startedAt: number, thrown: unknown): Success<T> | Failure | Promise<Success<T> | Failure> {
    const { model, lane, options, key } = candidate;
    const cancel = lane?.controller;
    call.settled();
    call.release();
    if (lane) lane.startedAt = undefined;
    const reason: unknown = call.aborted ? call.reason : undefined;
    const error = GatewayError.isInstance(reason) ? reason : toGatewayError(thrown);
    const latencyMs = performance.now() - startedAt;
    if (this.#context.signal.aborted || cancel?.signal.aborted === true) {
      // A lost hedge's call was entered when the race was decided (#hedged).
      if (lane?.recorded !== true) this.#context.attempts.push(attemptRecord(model, 'aborted', latencyMs, error, providerCall.upstreamStatus));
      if (options.probe) this.#context.state.releaseProbe(key);
      const closed = this.#context.signal.aborted ? callerEnded(this.#context.signal, error) : error;
      return { error: closed, stop: this.#context.signal.aborted };
    }
    const failed = attemptRecord(model, 'error', latencyMs, error, providerCall.upstreamStatus);
    this.#context.attempts.push(failed);
    if (error.usage) this.#context.spend?.(model, error.usage, failed);
    this.#lastError = error;
    const counts = countsAgainstDeployment(error);
    if (counts) this.#context.state.recordFailure(key, { probe: options.probe });
    else if (options.probe) this.#context.state.releaseProbe(key);
    // A request this provider's adapter cannot send (n > 1, log probabilities, a file type, a
    // limit of its own: "not supported by this model's provider"), refused before any call: the
    // request was checked at the ingress, so another candidate may take it (OpenRouter skips
    // providers that cannot honour a request's parameters). When none can, it is the answer.
    if (error.code === 'SB_ERR_INVALID_REQUEST') return { error, stop: false };
    if (!error.retryable) return { error, stop: !options.continuation };
    if (candidate.single || (counts && this.#circuitOpen(key))) return { error, stop: false };
    // A rejected key, or an upstream model the provider does not know (its 404), fails the same
    // way on every retry: move on at once, like a timeout.
    if (movesOnAtOnce.has(error.code)) return { error, stop: false };
    if (retry === candidate.retries) return { error, stop: false };
    if (options.othersLeft && this.#movesOn(error)) return { error, stop: false };
    const waitMs = backoff(this.#plan.retry.backoffMs, retry, error.retryAfterSeconds);
    if (waitMs > longestRetryWaitMs) return { error, stop: false };
    // Cut short when the caller leaves: the next call's first check then ends the request.
    return waitUnlessAborted(waitMs, this.#context.signal, cancel?.signal).then(() => this.#call(candidate, retry + 1));
  }

  /**
   * With another candidate left, whether to move on rather than retry: a 429 that does not say
   * when to come back, or any retry-after longer than `retry.max_retry_after_ms` (or the route's
   * `timeout_ms`). A short retry-after is waited out on the same model, as the provider asked.
   */
  #movesOn(error: GatewayError): boolean {
    if (error.retryAfterSeconds === undefined) return error.code === 'SB_ERR_UPSTREAM_RATE_LIMITED';
    return error.retryAfterSeconds * 1000 > Math.min(this.#plan.retry.maxRetryAfterMs, this.#plan.timeoutMs ?? Number.POSITIVE_INFINITY);
  }

  #circuitOpen(key: string): boolean {
    return this.#context.state.snapshot().deployment(key).openUntil !== 0;
  }
}

/**
 * Why the request's own signal ended it: the caller leaving, or the gateway's drain deadline
 * (the signal's reason says which; src/server/routes/chat.ts clientSignal).
 */
function callerEnded(signal: AbortSignalLike, cause?: GatewayError): GatewayError {
  const reason: unknown = signal.reason;
  if (GatewayError.isInstance(reason)) return reason;
  return new GatewayError('SB_ERR_CLIENT_CLOSED', 'The client closed the request', cause ? { cause } : {});
}

/** A hedged candidate: its cancellation, and the start of its call in flight (if one is). */
interface HedgeLane {
  model: ModelInfo;
  controller: LightAbortController;
  startedAt: number | undefined;
  /** Its call in flight was entered in the ledger when it lost the race. */
  recorded: boolean;
}

function newLane(model: ModelInfo): HedgeLane {
  return { model, controller: new LightAbortController(), startedAt: undefined, recorded: false };
}

/** The first run that succeeds, or the last failure when none does. */
async function firstSuccess<T>(runs: Array<Promise<Success<T> | Failure>>): Promise<{ index: number; outcome: Success<T> | Failure }> {
  return new Promise((resolve) => {
    let pending = runs.length;
    let lastFailure: { index: number; outcome: Failure } | undefined;
    runs.forEach((run, index) => {
      void run.then((outcome) => {
        pending -= 1;
        if ('value' in outcome) resolve({ index, outcome });
        else {
          lastFailure = outcome.stop || !lastFailure ? { index, outcome } : lastFailure;
          if (pending === 0) resolve(lastFailure);
        }
      });
    });
  });
}

/** Exponential backoff with ±50% jitter, never shorter than the provider's retry-after. */
function backoff(baseMs: number, retry: number, retryAfterSeconds: number | undefined): number {
  const exponential = baseMs * 2 ** retry * (0.5 + Math.random());
  return Math.max(exponential, (retryAfterSeconds ?? 0) * 1000);
}
