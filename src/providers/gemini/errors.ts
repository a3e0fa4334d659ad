import { GatewayError } from '../../core/errors.ts';
import type { UpstreamResponse } from '../../core/http-client.ts';
import { parseRetryAfter } from '../_shared/retry-after.ts';
import { errorFromStatus, readErrorBody, type ProviderErrorDetail } from '../_shared/upstream-error.ts';
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
 * the operator's misconfiguration, not the caller's bad request, so it maps like a 401.
 */
export async function errorFromGeminiResponse(response: UpstreamResponse, provider: string): Promise<GatewayError> {
  const { json: body, textMessage } = await readErrorBody(response);
  const status = errorStatusOf(body);
  const detail: ProviderErrorDetail = body === undefined ? { message: textMessage } : readGeminiError(body);
  const retryAfter = parseRetryAfter(response.headers) ?? retryDelaySeconds(status);
  if (status?.details?.some((item) => item.reason === 'API_KEY_INVALID')) {
    return new GatewayError('SB_ERR_UPSTREAM_AUTH', `Provider "${provider}" answered ${response.status}: ${detail.message ?? 'API key not valid'}`, {
      provider,
      upstreamStatus: response.status,
    });
  }
  return errorFromStatus(response.status, provider, detail, retryAfter);
}

/** Seconds of the first RetryInfo `retryDelay` (a google.protobuf.Duration: "30s", "1.5s"). */
function retryDelaySeconds(status: GeminiErrorStatus | undefined): number | undefined {
  for (const item of status?.details ?? []) {
    const match = /^(\d+(?:\.\d+)?)s$/.exec(item.retryDelay ?? '');
    if (match) return Math.ceil(Number(match[1]));
  }
  return undefined;
}

/** An `{"error": ...}` message inside a 200 stream → the error event's GatewayError. */
export function errorFromStreamMessage(error: GeminiErrorStatus, provider: string): GatewayError {
  const code = typeof error.code === 'number' && error.code >= 400 ? error.code : 500;
  return errorFromStatus(code, provider, readGeminiError({ error }));
}
