import type { GatewayError } from '../../core/errors.ts';
import { upstreamError, type UpstreamSource } from './upstream-error.ts';

/**
 * A 200 answer (or a stream's last event) whose finish reason says the generation itself failed:
 * Bedrock's `malformed_model_output` and `malformed_tool_use` stopReasons, Gemini's
 * `MALFORMED_FUNCTION_CALL`. It is never passed on as an answer, which would end with "stop" and
 * look like a success (STYLE rule 3); it is a retryable upstream error, so the next candidate
 * answers. `field`: the provider's name for the reason (`stopReason`, `finishReason`).
 */
export function failedGeneration(source: UpstreamSource, field: string, reason: string, upstreamStatus?: number): GatewayError {
  return upstreamError('SB_ERR_UPSTREAM_ERROR', source, `Provider "${source.provider}" ended the generation with ${field}`, reason, upstreamStatus === undefined ? {} : { upstreamStatus });
}
