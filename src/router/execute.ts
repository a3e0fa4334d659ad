import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatRequest } from '../core/chat-request.ts';
import type { ChatResult } from '../core/chat-result.ts';
import type { EmbeddingRequest, EmbeddingResult } from '../core/embedding.ts';
import { GatewayError, toGatewayError } from '../core/errors.ts';
import type { AttemptRecord } from '../core/ledger.ts';
import type { ModelInfo } from '../core/model.ts';
import type { ProviderAdapter, ProviderCall } from '../core/provider-adapter.ts';
import type { StreamEvent } from '../core/stream-event.ts';
import type { Plan } from './plan.ts';
import { peekStream } from './peek-stream.ts';

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
}

/** What answered. */
export interface Execution<T> {
  value: T;
  model: ModelInfo;
}

/** A retry-after longer than this moves on to the next candidate instead of waiting. */
const longestRetryWaitMs = 10_000;

/** Non-streamed chat through the plan's candidates. */
export function executeChat(plan: Plan, request: ChatRequest, context: ExecutionContext): Promise<Execution<ChatResult>> {
  return runAttempts(plan, context, (handle, call) => handle.adapter.chat(request, call), false);
}

/**
 * Streamed chat. An attempt counts as successful once its first content event arrived; a
 * stream that fails before that falls back to the next candidate without the caller seeing it.
 */
export function executeStream(plan: Plan, request: ChatRequest, context: ExecutionContext): Promise<Execution<ReadableStream<StreamEvent>>> {
  return runAttempts(plan, context, async (handle, call) => peekStream(await handle.adapter.streamChat(request, call)), true);
}

/** Embeddings through the plan's candidates (providers without embeddings are skipped). */
export function executeEmbedding(plan: Plan, request: EmbeddingRequest, context: ExecutionContext): Promise<Execution<EmbeddingResult>> {
  return runAttempts(
    plan,
    context,
    (handle, call) => {
      if (!handle.adapter.embed) {
        throw new GatewayError('SB_ERR_UPSTREAM_BAD_REQUEST', `Provider "${handle.adapter.id}" has no embeddings API`, {
          provider: handle.adapter.id,
        });
      }
      return handle.adapter.embed(request, call);
    },
    false,
  );
}

async function runAttempts<T>(
  plan: Plan,
  context: ExecutionContext,
  attempt: (handle: ProviderHandle, call: ProviderCall) => Promise<T>,
  streaming: boolean,
): Promise<Execution<T>> {
  let lastError: GatewayError | undefined;
  for (const model of plan.candidates) {
    const handle = context.provider(model.providerId);
    if (!handle) continue;
    for (let retry = 0; retry <= plan.retry.attempts; retry += 1) {
      const started = performance.now();
      const timeoutMs = plan.timeoutMs ?? handle.timeoutMs;
      const controller = new AbortController();
      const onAbort = () => controller.abort(context.signal.reason);
      context.signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => {
        controller.abort(
          new GatewayError('SB_ERR_UPSTREAM_TIMEOUT', `Provider "${model.providerId}" did not answer within ${timeoutMs} ms`, {
            provider: model.providerId,
          }),
        );
      }, timeoutMs);
      try {
        const value = await attempt(handle, {
          model: model.upstream,
          signal: controller.signal,
          timeoutMs,
          requestId: context.requestId,
          ...(model.maxOutputTokens !== undefined ? { maxOutputTokens: model.maxOutputTokens } : {}),
        });
        context.attempts.push(record(model, 'ok', started));
        if (!streaming) context.signal.removeEventListener('abort', onAbort);
        return { value, model };
      } catch (thrown) {
        context.signal.removeEventListener('abort', onAbort);
        const error = controller.signal.aborted && GatewayError.isInstance(controller.signal.reason) ? controller.signal.reason : toGatewayError(thrown);
        if (context.signal.aborted) {
          context.attempts.push(record(model, 'aborted', started, error));
          throw new GatewayError('SB_ERR_CLIENT_CLOSED', 'The client closed the request', { cause: error });
        }
        context.attempts.push(record(model, 'error', started, error));
        lastError = error;
        if (!error.retryable) throw error;
        if (error.code === 'SB_ERR_UPSTREAM_TIMEOUT' || error.code === 'SB_ERR_CONTEXT_LENGTH') break;
        if (retry === plan.retry.attempts) break;
        const waitMs = backoff(plan.retry.backoffMs, retry, error.retryAfterSeconds);
        if (waitMs > longestRetryWaitMs) break;
        await sleep(waitMs, undefined, { signal: context.signal }).catch(() => undefined);
      } finally {
        clearTimeout(timer);
      }
    }
  }
  throw allFailed(context.attempts, lastError);
}

/** Exponential backoff with ±50% jitter, never shorter than the provider's retry-after. */
function backoff(baseMs: number, retry: number, retryAfterSeconds: number | undefined): number {
  const exponential = baseMs * 2 ** retry * (0.5 + Math.random());
  return Math.max(exponential, (retryAfterSeconds ?? 0) * 1000);
}

function record(model: ModelInfo, outcome: AttemptRecord['outcome'], started: number, error?: GatewayError): AttemptRecord {
  return {
    model: model.id,
    provider: model.providerId,
    upstreamModel: model.upstream,
    outcome,
    latencyMs: Math.round(performance.now() - started),
    ...(error ? { errorCode: error.code, message: error.message } : {}),
    ...(error?.upstreamStatus !== undefined ? { upstreamStatus: error.upstreamStatus } : {}),
  };
}

/** The error of a request whose every attempt failed, naming each attempt. */
function allFailed(attempts: readonly AttemptRecord[], lastError: GatewayError | undefined): GatewayError {
  if (!lastError) {
    return new GatewayError('SB_ERR_UNAVAILABLE', 'No provider is available for this model', { status: 503 });
  }
  const failed = attempts.filter((attempt) => attempt.outcome === 'error');
  const summary = failed.map((attempt) => `${attempt.provider}/${attempt.upstreamModel}: ${attempt.message ?? attempt.errorCode}`).join('; ');
  const heading = failed.length === 1 ? '1 attempt failed' : `All ${failed.length} attempts failed`;
  const allRateLimited = failed.every((attempt) => attempt.errorCode === 'SB_ERR_UPSTREAM_RATE_LIMITED');
  return new GatewayError(lastError.code, `${heading}: ${summary}`, {
    cause: lastError,
    status: allRateLimited ? 429 : lastError.status,
    retryAfterSeconds: lastError.retryAfterSeconds,
    provider: lastError.provider,
    upstreamStatus: lastError.upstreamStatus,
    publicCode: lastError.publicCode,
  });
}
