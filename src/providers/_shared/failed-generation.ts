import type { GatewayError } from '../../core/errors.ts';
import type { Usage } from '../../core/usage.ts';
import { upstreamError, type UpstreamSource } from './upstream-error.ts';

/**
 * A 200 answer (or a stream's last event) whose finish reason says the generation itself failed:
 * Bedrock's `malformed_model_output` and `malformed_tool_use` stopReasons, Gemini's
 * `MALFORMED_FUNCTION_CALL`. It is never passed on as an answer, which would end with "stop" and
 * look like a success (STYLE rule 3); it is a retryable upstream error, so the next candidate
 * answers. `field`: the provider's name for the reason (`stopReason`, `finishReason`). `usage`:
 * what the answer said the failed generation used, which the provider bills (`reportedUsage`).
 */
export function failedGeneration(source: UpstreamSource, field: string, reason: string, upstreamStatus?: number, usage?: Usage): GatewayError {
  return upstreamError('SB_ERR_UPSTREAM_ERROR', source, `Provider "${source.provider}" ended the generation with ${field}`, reason, { upstreamStatus, usage });
}

/** An answer's usage when the provider reported one: the adapters mark a missing report `estimated` (zeros to be counted). */
export function reportedUsage(usage: Usage | undefined): Usage | undefined {
  return usage === undefined || usage.estimated ? undefined : usage;
}
