import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatRequest } from '../core/chat-request.ts';
import type { ChatResult } from '../core/chat-result.ts';
import type { EmbeddingRequest, EmbeddingResult } from '../core/embedding.ts';
import { GatewayError, toGatewayError } from '../core/errors.ts';
import type { AttemptRecord } from '../core/ledger.ts';
import type { ModelInfo } from '../core/model.ts';
import type { ProviderAdapter, ProviderCall } from '../core/provider-adapter.ts';
import type { RoutingStateStore } from '../core/routing-state.ts';
import type { StreamEvent } from '../core/stream-event.ts';
import { allFailed, attemptRecord, countsAgainstDeployment } from './attempt-outcome.ts';
import { deploymentKey } from './deployment.ts';
import { peekStream } from './peek-stream.ts';
import type { Plan } from './plan.ts';

/** A configured provider as the executor calls it. */
export interface ProviderHandle {
  adapter: ProviderAdapter;
  timeoutMs: number;
}

/** Per-request inputs of the attempt loop. */
export interface ExecutionContext {
  requestId: string;
  /** Aborted when the caller goes away. */
  signal: AbortSignal;
  provider(id: string): ProviderHandle | undefined;
  /** Every attempt is appended here as it ends, successful or not (the ledger keeps them). */
  attempts: AttemptRecord[];
  /** Learned state: health (circuit breaker), latency, provider load. */
  state: RoutingStateStore;
  /** Tokens to count against providers' tpm windows (0 when no provider has a tpm limit). */
  dispatchTokens?: number;
}

/** What answered. */
export interface Execution<T> {
  value: T;
  model: ModelInfo;
}

type Attempt<T> = (handle: ProviderHandle, call: ProviderCall) => Promise<T>;

/** A retry-after longer than this moves on to the next candidate instead of waiting. */
const longestRetryWaitMs = 10_000;

/** Non-streamed chat through the plan's candidates. */
export function executeChat(plan: Plan, request: ChatRequest, context: ExecutionContext): Promise<Execution<ChatResult>> {
  return new Executor<ChatResult>(plan, context, false).run((handle, call) => handle.adapter.chat(request, call));
}

/**
 * Streamed chat. An attempt counts as successful once its first output event arrived; a
 * stream that fails before that falls back to the next candidate without the caller seeing it.
 */
export function executeStream(plan: Plan, request: ChatRequest, context: ExecutionContext): Promise<Execution<ReadableStream<StreamEvent>>> {
  return new Executor<ReadableStream<StreamEvent>>(plan, context, true).run(async (handle, call) => peekStream(await handle.adapter.streamChat(request, call)));
}

/** Embeddings through the plan's candidates. */
export function executeEmbedding(plan: Plan, request: EmbeddingRequest, context: ExecutionContext): Promise<Execution<EmbeddingResult>> {
  return new Executor<EmbeddingResult>(plan, context, false).run((handle, call) => {
    if (!handle.adapter.embed) {
      throw new GatewayError('SB_ERR_UPSTREAM_BAD_REQUEST', `Provider "${handle.adapter.id}" has no embeddings API`, { provider: handle.adapter.id });
    }
    return handle.adapter.embed(request, call);
  });
}

/**
 * The attempt loop (../shared/SPEC.md `retry`, `timeout_ms`, `fallbacks`; docs/routing.md):
 * candidates in plan order; each gets its retries with exponential backoff and jitter that
 * honours retry-after; a timeout, a rejected provider key (401/403), a 429 with another candidate
 * left, or a context-length error moves on at once (the latter only to models with a larger
 * window); a non-retryable error ends the request. Deployments in cooldown are skipped; a
 * half-open one gets a single probe.
 * With `hedge_after_ms`, the next candidate starts in parallel when the current one has not
 * answered in time, and the first answer wins.
 */
class Executor<T> {
  readonly #plan: Plan;
  readonly #context: ExecutionContext;
  readonly #streaming: boolean;
  #lastError: GatewayError | undefined;

  constructor(plan: Plan, context: ExecutionContext, streaming: boolean) {
    this.#plan = plan;
    this.#context = context;
    this.#streaming = streaming;
  }

  async run(attempt: Attempt<T>): Promise<Execution<T>> {
    const queue = [...this.#plan.candidates];
    let minimumWindow = -1;
    while (queue.length > 0) {
      const model = queue.shift()!;
      if (minimumWindow >= 0 && (model.contextWindow ?? Number.POSITIVE_INFINITY) <= minimumWindow) continue;
      if (!this.#startable(model)) continue;
      const hedge = this.#plan.hedgeAfterMs !== undefined ? this.#nextStartable(queue, minimumWindow) : undefined;
      const outcome = hedge ? await this.#hedged(model, hedge, attempt) : await this.#candidate(model, attempt, new AbortController(), queue.length > 0);
      if ('value' in outcome) return outcome;
      if (outcome.stop) throw outcome.error;
      if (outcome.error.code === 'SB_ERR_CONTEXT_LENGTH') minimumWindow = Math.max(minimumWindow, model.contextWindow ?? minimumWindow);
    }
    throw allFailed(this.#context.attempts, this.#lastError);
  }

  /** Handle present and not in cooldown (claims the half-open probe when there is one). */
  #startable(model: ModelInfo): boolean {
    return this.#context.provider(model.providerId) !== undefined && this.#context.state.claimProbe(deploymentKey(model));
  }

  #nextStartable(queue: ModelInfo[], minimumWindow: number): ModelInfo | undefined {
    while (queue.length > 0) {
      const model = queue.shift()!;
      if (minimumWindow >= 0 && (model.contextWindow ?? Number.POSITIVE_INFINITY) <= minimumWindow) continue;
      if (this.#startable(model)) return model;
    }
    return undefined;
  }

  /** Two candidates, the second started after hedge_after_ms unless the first settled; first success wins. */
  async #hedged(first: ModelInfo, second: ModelInfo, attempt: Attempt<T>): Promise<Execution<T> | Failure> {
    const controllers = [new AbortController(), new AbortController()];
    const runs: Array<Promise<Execution<T> | Failure>> = [this.#candidate(first, attempt, controllers[0]!, true)];
    let timer: NodeJS.Timeout | undefined;
    const started = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        runs.push(this.#candidate(second, attempt, controllers[1]!, false));
        resolve();
      }, this.#plan.hedgeAfterMs);
    });
    const firstOutcome = await Promise.race([runs[0]!, started.then(() => undefined)]);
    if (firstOutcome !== undefined) {
      clearTimeout(timer);
      if ('value' in firstOutcome || firstOutcome.stop) return firstOutcome;
      return this.#candidate(second, attempt, controllers[1]!, false);
    }
    const winner = await firstSuccess(runs);
    controllers.forEach((controller, index) => {
      if (winner.index !== index) controller.abort(new GatewayError('SB_ERR_CLIENT_CLOSED', 'Hedged request lost the race'));
    });
    return winner.outcome;
  }

  /** One candidate with its retries. */
  async #candidate(model: ModelInfo, attempt: Attempt<T>, cancel: AbortController, othersLeft: boolean): Promise<Execution<T> | Failure> {
    const handle = this.#context.provider(model.providerId)!;
    const key = deploymentKey(model);
    for (let retry = 0; retry <= this.#plan.retry.attempts; retry += 1) {
      const started = performance.now();
      const timeoutMs = this.#plan.timeoutMs ?? handle.timeoutMs;
      const controller = new AbortController();
      const abort = (reason: unknown) => controller.abort(reason);
      const onClientAbort = () => abort(this.#context.signal.reason);
      const onCancel = () => abort(cancel.signal.reason);
      this.#context.signal.addEventListener('abort', onClientAbort, { once: true });
      cancel.signal.addEventListener('abort', onCancel, { once: true });
      const timer = setTimeout(
        () => abort(new GatewayError('SB_ERR_UPSTREAM_TIMEOUT', `Provider "${model.providerId}" did not answer within ${timeoutMs} ms`, { provider: model.providerId })),
        timeoutMs,
      );
      this.#context.state.recordDispatch(model.providerId, this.#context.dispatchTokens ?? 0);
      try {
        const value = await attempt(handle, {
          model: model.upstream,
          signal: controller.signal,
          timeoutMs,
          requestId: this.#context.requestId,
          ...(model.maxOutputTokens !== undefined ? { maxOutputTokens: model.maxOutputTokens } : {}),
        });
        const latencyMs = performance.now() - started;
        this.#context.attempts.push(attemptRecord(model, 'ok', latencyMs));
        this.#context.state.recordSuccess(key, { latencyMs, streamed: this.#streaming });
        // A stream keeps listening: the caller leaving or a lost hedge must still cancel it.
        if (!this.#streaming) {
          this.#context.signal.removeEventListener('abort', onClientAbort);
          cancel.signal.removeEventListener('abort', onCancel);
        }
        return { value, model };
      } catch (thrown) {
        this.#context.signal.removeEventListener('abort', onClientAbort);
        cancel.signal.removeEventListener('abort', onCancel);
        const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
        const error = GatewayError.isInstance(reason) ? reason : toGatewayError(thrown);
        const latencyMs = performance.now() - started;
        if (this.#context.signal.aborted || cancel.signal.aborted) {
          this.#context.attempts.push(attemptRecord(model, 'aborted', latencyMs, error));
          const closed = this.#context.signal.aborted ? callerEnded(this.#context.signal, error) : error;
          return { error: closed, stop: this.#context.signal.aborted };
        }
        this.#context.attempts.push(attemptRecord(model, 'error', latencyMs, error));
        this.#lastError = error;
        if (countsAgainstDeployment(error)) this.#context.state.recordFailure(key, {});
        if (!error.retryable) return { error, stop: true };
        // A rejected key fails the same way on every retry: move on at once, like a timeout.
        if (error.code === 'SB_ERR_UPSTREAM_TIMEOUT' || error.code === 'SB_ERR_UPSTREAM_AUTH' || error.code === 'SB_ERR_CONTEXT_LENGTH') return { error, stop: false };
        if (error.code === 'SB_ERR_UPSTREAM_RATE_LIMITED' && othersLeft) return { error, stop: false };
        if (retry === this.#plan.retry.attempts) return { error, stop: false };
        const waitMs = backoff(this.#plan.retry.backoffMs, retry, error.retryAfterSeconds);
        if (waitMs > longestRetryWaitMs) return { error, stop: false };
        await sleep(waitMs, undefined, { signal: this.#context.signal }).catch(() => undefined);
        if (this.#context.signal.aborted) return { error: callerEnded(this.#context.signal), stop: true };
      } finally {
        clearTimeout(timer);
      }
    }
    return { error: this.#lastError!, stop: false };
  }
}

/**
 * Why the request's own signal ended it: the caller leaving, or the gateway's drain deadline
 * (the signal's reason says which; src/server/routes/chat.ts clientSignal).
 */
function callerEnded(signal: AbortSignal, cause?: GatewayError): GatewayError {
  const reason: unknown = signal.reason;
  if (GatewayError.isInstance(reason)) return reason;
  return new GatewayError('SB_ERR_CLIENT_CLOSED', 'The client closed the request', cause ? { cause } : {});
}

/** A candidate that did not answer; `stop` ends the request (non-retryable or caller gone). */
interface Failure {
  error: GatewayError;
  stop: boolean;
}

/** The first run that succeeds, or the last failure when none does. */
async function firstSuccess<T>(runs: Array<Promise<Execution<T> | Failure>>): Promise<{ index: number; outcome: Execution<T> | Failure }> {
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
