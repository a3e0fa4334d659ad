import { GatewayError } from '../../core/errors.ts';
import type { UpstreamResponse } from '../../core/http-client.ts';
import { parseRetryAfter } from '../_shared/retry-after.ts';
import { errorFromStatus, readErrorBody, upstreamError, type ProviderErrorDetail, type UpstreamSource } from '../_shared/upstream-error.ts';
import type { GeminiErrorBody, GeminiErrorStatus } from './wire-types.ts';

/**
 * Gemini error body: a google.rpc.Status, `{"error": {code, message, status, details}}`
 * (examples/unary-failure-*.txt). Without `alt=sse`, streaming errors come as a one-element
 * JSON array of it, so an array is read too.
 */
export function readGeminiError(body: unknown): ProviderErrorDetail {
  const status = errorStatusOf(body);
  if (!status) return {};
  return {
    ...(typeof status.message === 'string' ? { message: status.message } : {}),
    ...(typeof status.status === 'string' ? { code: status.status } : {}),
  };
}

function errorStatusOf(body: unknown): GeminiErrorStatus | undefined {
  const first = Array.isArray(body) ? (body[0] as unknown) : body;
  const error = (first as GeminiErrorBody | null)?.error;
  return typeof error === 'object' && error !== null ? error : undefined;
}

/**
 * A non-2xx answer → GatewayError (status mapping shared with every adapter), with two Gemini
 * quirks: a 429 RESOURCE_EXHAUSTED states its wait as a google.rpc.RetryInfo detail
 * (`"retryDelay": "30s"`) rather than (or besides) a retry-after header; and a wrong API key is a
 * 400 INVALID_ARGUMENT with reason API_KEY_INVALID (examples/unary-failure-api-key.txt), which is
 * the operator's misconfiguration, not the caller's bad request, so it maps like a 401, and so
 * does a 400 FAILED_PRECONDITION (billing or region, below).
 */
export async function errorFromGeminiResponse(response: UpstreamResponse, source: UpstreamSource): Promise<GatewayError> {
  const { json: body, textMessage } = await readErrorBody(response, source);
  const status = errorStatusOf(body);
  const detail: ProviderErrorDetail = body === undefined ? { message: textMessage } : readGeminiError(body);
  const retryAfter = parseRetryAfter(response.headers) ?? retryDelaySeconds(status);
  // A 400 FAILED_PRECONDITION is the project's, not the request's: "Gemini API free tier is not
  // available in your country. Please enable billing" (ai.google.dev/gemini-api/docs/troubleshooting,
  // its error codes table). As a rejected key, it fails every request until the operator acts.
  if (status?.details?.some((item) => item.reason === 'API_KEY_INVALID') || status?.status === 'FAILED_PRECONDITION') {
    return upstreamError('SB_ERR_UPSTREAM_AUTH', source, `Provider "${source.provider}" answered ${response.status}`, detail.message ?? 'API key not valid', {
      upstreamStatus: response.status,
    });
  }
  return errorFromStatus(response.status, source, detail, retryAfter);
}

/** Seconds of the first RetryInfo `retryDelay` (a google.protobuf.Duration: "30s", "1.5s"). */
function retryDelaySeconds(status: GeminiErrorStatus | undefined): number | undefined {
  for (const item of status?.details ?? []) {
    const match = /^(\d+(?:\.\d+)?)s$/.exec(item.retryDelay ?? '');
    if (match) return Math.ceil(Number(match[1]));
  }
  return undefined;
}

/**
 * A prompt Gemini blocked: a 200 with no candidates and `promptFeedback.blockReason`
 * (generative_service.proto PromptFeedback: "If set, the prompt was blocked and no candidates are
 * returned. Rephrase the prompt."; examples/streaming-failure-prompt-blocked-safety.txt). A
 * content-policy refusal of the request, so SB_ERR_UPSTREAM_BAD_REQUEST: a 400 with the reason,
 * not retried (../shared/SPEC.md: a provider's 400 that any model would share is returned after
 * one attempt), never an empty answer at $0.
 */
export function errorFromBlockedPrompt(blockReason: string, source: UpstreamSource): GatewayError {
  return upstreamError('SB_ERR_UPSTREAM_BAD_REQUEST', source, `Provider "${source.provider}" blocked the prompt under its content policy; rephrase it`, `blockReason ${blockReason}`, {
    upstreamStatus: 200,
  });
}

/** A 200 with no candidates and no block reason: no answer at all, which another attempt may give. */
export function errorFromEmptyAnswer(source: UpstreamSource): GatewayError {
  return new GatewayError('SB_ERR_UPSTREAM_INVALID_RESPONSE', `Provider "${source.provider}" answered with no candidates and no reason`, {
    provider: source.provider,
    upstreamStatus: 200,
  });
}

/**
 * An `{"error": ...}` message inside a 200 stream → the error event's GatewayError, keeping the
 * wait a RESOURCE_EXHAUSTED states in its RetryInfo, as errorFromGeminiResponse does.
 */
export function errorFromStreamMessage(error: GeminiErrorStatus, source: UpstreamSource): GatewayError {
  const code = typeof error.code === 'number' && error.code >= 400 ? error.code : 500;
  return errorFromStatus(code, source, readGeminiError({ error }), retryDelaySeconds(error));
}
