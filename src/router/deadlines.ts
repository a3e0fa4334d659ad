import { GatewayError } from '../core/errors.ts';
import type { ModelInfo } from '../core/model.ts';
import type { Plan } from './plan.ts';

/**
 * Default wait for a stream's first token. Long enough for an ordinary answer to start, short
 * enough that a provider which accepted the request and then hangs costs seconds, not the
 * provider's whole `timeout_ms` (docs/routing.md "Deadlines").
 */
export const defaultTtftTimeoutMs = 15_000;

/** Default longest silence between two stream events once the answer has started. */
export const defaultStallTimeoutMs = 15_000;

/** The limits of one streamed attempt, in ms. */
export interface StreamDeadlines {
  /** Until the first output event (text, reasoning, tool call or finish). */
  ttftMs: number;
  /** Between two events after it. */
  stallMs: number;
}

/**
 * A streamed attempt's limits on `model`: the route's `ttft_timeout_ms` and `stall_timeout_ms`
 * where set; otherwise the defaults, never longer than the attempt's timeout (the route's
 * `timeout_ms`, else the provider's). A model known to reason before it answers (catalog
 * capability `reasoning`) may think silently for long: its default first-token wait is the whole
 * attempt timeout.
 */
export function streamDeadlines(plan: Plan, model: ModelInfo, attemptTimeoutMs: number): StreamDeadlines {
  const reasons = model.capabilities?.includes('reasoning') ?? false;
  return {
    ttftMs: plan.ttftTimeoutMs ?? (reasons ? attemptTimeoutMs : Math.min(defaultTtftTimeoutMs, attemptTimeoutMs)),
    stallMs: plan.stallTimeoutMs ?? Math.min(defaultStallTimeoutMs, attemptTimeoutMs),
  };
}

/** The error of an attempt that sent no first token in time. */
export function firstTokenTimeout(model: ModelInfo, ttftMs: number): GatewayError {
  return new GatewayError('SB_ERR_UPSTREAM_TIMEOUT', `Provider "${model.providerId}" sent no first token within ${ttftMs} ms`, { provider: model.providerId });
}

/** The error of an attempt that answered, then fell silent. */
export function stallTimeout(model: ModelInfo, stallMs: number): GatewayError {
  return new GatewayError('SB_ERR_UPSTREAM_TIMEOUT', `Provider "${model.providerId}" stalled: nothing for ${stallMs} ms mid-stream`, { provider: model.providerId });
}

/** The error of a non-streamed attempt that did not answer in time. */
export function answerTimeout(model: ModelInfo, timeoutMs: number): GatewayError {
  return new GatewayError('SB_ERR_UPSTREAM_TIMEOUT', `Provider "${model.providerId}" did not answer within ${timeoutMs} ms`, { provider: model.providerId });
}
