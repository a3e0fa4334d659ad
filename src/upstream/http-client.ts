import type { Readable } from 'node:stream';
import { Agent, errors, request } from 'undici';
import { GatewayError } from '../core/errors.ts';
import type { HttpClient, UpstreamRequest, UpstreamResponse } from '../core/http-client.ts';

/** Pool settings for upstream connections. */
export interface HttpClientOptions {
  connectTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept open. */
  keepAliveTimeoutMs?: number;
}

/** An HttpClient over one undici Agent: a keep-alive pool per origin, shared by all adapters. */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient & { close(): Promise<void> } {
  const agent = new Agent({
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: 600_000,
  });

  return {
    async send(upstream: UpstreamRequest): Promise<UpstreamResponse> {
      try {
        const response = await request(upstream.url, {
          method: upstream.method ?? 'POST',
          headers: upstream.headers,
          body: upstream.body,
          signal: upstream.signal,
          dispatcher: agent,
          headersTimeout: upstream.firstByteTimeoutMs,
          bodyTimeout: upstream.idleTimeoutMs,
        });
        const body = response.body;
        return {
          status: response.statusCode,
          headers: response.headers,
          body: { [Symbol.asyncIterator]: () => chunksOf(body, upstream) },
          text: async () => {
            try {
              return await body.text();
            } catch (error) {
              throw transportError(error, upstream);
            }
          },
          discard: async () => {
            await body.dump().catch(() => undefined);
          },
        };
      } catch (error) {
        throw transportError(error, upstream);
      }
    },
    close: () => agent.close(),
  };
}

/**
 * The chunks of undici's body, with transport failures turned into GatewayErrors, so adapters
 * never see undici's error classes. Returning the iterator early (the caller cancelled) destroys
 * the body at once, even while a read is pending, which closes the connection.
 */
function chunksOf(body: Readable, upstream: UpstreamRequest): AsyncIterator<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return {
    next: () => iterator.next().catch((error: unknown) => Promise.reject(transportError(error, upstream))),
    return: () => {
      body.destroy();
      return Promise.resolve({ done: true, value: undefined });
    },
  };
}

/** Maps undici and socket errors to GatewayErrors naming the provider. */
export function transportError(error: unknown, upstream: UpstreamRequest): GatewayError {
  if (GatewayError.isInstance(error)) return error;
  const provider = upstream.provider;
  const reason: unknown = upstream.signal.aborted ? upstream.signal.reason : undefined;
  if (GatewayError.isInstance(reason)) return reason;
  if (upstream.signal.aborted) {
    return new GatewayError('SB_ERR_CLIENT_CLOSED', `Call to provider "${provider}" was cancelled`, { cause: error, provider });
  }
  if (error instanceof errors.HeadersTimeoutError) {
    return new GatewayError('SB_ERR_UPSTREAM_TIMEOUT', `Provider "${provider}" sent no response within ${upstream.firstByteTimeoutMs} ms`, { cause: error, provider });
  }
  if (error instanceof errors.BodyTimeoutError) {
    return new GatewayError('SB_ERR_UPSTREAM_TIMEOUT', `Provider "${provider}" sent nothing for ${upstream.idleTimeoutMs} ms`, { cause: error, provider });
  }
  if (error instanceof errors.ConnectTimeoutError) {
    return new GatewayError('SB_ERR_UPSTREAM_TIMEOUT', `Could not connect to provider "${provider}" in time`, { cause: error, provider });
  }
  const code = (error as { code?: string }).code;
  if (code !== undefined) return new GatewayError('SB_ERR_UPSTREAM_CONNECTION', `Connection to provider "${provider}" failed (${code})`, { cause: error, provider });
  // Without a code the error's own text is all there is, and it may quote the URL (a key in its
  // query) or a header: it is redacted, and when that took something out the cause is left off,
  // since log lines print a cause's message and stack in full.
  const text = error instanceof Error ? error.message : String(error);
  const redacted = upstream.redact ? upstream.redact(text) : text;
  return new GatewayError('SB_ERR_UPSTREAM_CONNECTION', `Connection to provider "${provider}" failed (${redacted})`, {
    ...(redacted === text ? { cause: error } : {}),
    provider,
  });
}
