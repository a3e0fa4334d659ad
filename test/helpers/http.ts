/** An answer read in full: status, headers, the text, and the body parsed as JSON (the text when it is not JSON). */
export interface RawAnswer<Body = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: Body;
}

/** Who a raw request says it is, and any other headers it carries. */
export interface RawRequestOptions {
  /** Sent as `Authorization: Bearer <key>`; no authorization header when absent or null. */
  key?: string | null | undefined;
  /** More headers: x-api-key, anthropic-version, x-switchboard-metadata... */
  headers?: Record<string, string>;
}

/**
 * Sends a request without an SDK, for what an SDK would refuse to send or would hide: malformed
 * JSON (a string body goes out as it is), missing keys, exact error bodies, raw event streams.
 * An object body is sent as JSON; without a body there is no content-type either.
 */
export async function rawRequest<Body = unknown>(method: string, origin: string, path: string, body?: unknown, options: RawRequestOptions = {}): Promise<RawAnswer<Body>> {
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(typeof options.key === 'string' ? { authorization: `Bearer ${options.key}` } : {}),
      ...options.headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // CSV, event streams and other non-JSON answers stay text.
  }
  return { status: response.status, headers: response.headers, text, body: parsed as Body };
}

/** A POST with a JSON body: see rawRequest. */
export function rawPost<Body = unknown>(origin: string, path: string, body: unknown, options: RawRequestOptions = {}): Promise<RawAnswer<Body>> {
  return rawRequest<Body>('POST', origin, path, body, options);
}
