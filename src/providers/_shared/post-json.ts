import type { GatewayError } from '../../core/errors.ts';
import type { HttpClient, UpstreamResponse } from '../../core/http-client.ts';
import type { ProviderCall } from '../../core/provider-adapter.ts';
import type { UpstreamSource } from './upstream-error.ts';

/** One upstream JSON call of an attempt. */
export interface JsonPost {
  url: string;
  headers: Record<string, string>;
  /** The serialised body (serialised once, by the caller, so a signer can hash the same bytes). */
  body: string | Uint8Array;
  call: ProviderCall;
  /** The provider, and the redactor for the transport errors this call may raise. */
  source: UpstreamSource;
}

/**
 * Sends a JSON request with the attempt's abort signal and timeouts (first byte and idle, both
 * the attempt's limit), notes the answer's status on the call (the ledger's attempt status), and
 * turns a non-2xx answer into the provider's GatewayError. A promise
 * chain, not an async function: a suspended frame per request in flight costs about 400 bytes
 * for the provider's whole answer time (as executeChat, src/router/execute.ts).
 */
export function postJson(http: HttpClient, post: JsonPost, toError: (response: UpstreamResponse) => Promise<GatewayError>): Promise<UpstreamResponse> {
  return http.send({
    url: post.url,
    headers: post.headers,
    body: post.body,
    signal: post.call.signal,
    firstByteTimeoutMs: post.call.timeoutMs,
    idleTimeoutMs: post.call.timeoutMs,
    provider: post.source.provider,
    redact: post.source.redact,
    progress: post.call,
  }).then((response) => {
    post.call.upstreamStatus = response.status;
    return response.status < 200 || response.status >= 300 ? toError(response).then(raise) : response;
  });
}

function raise(error: GatewayError): never {
  throw error;
}
