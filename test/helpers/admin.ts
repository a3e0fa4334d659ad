/** An answer from the admin API: status, headers and the parsed JSON body (text for CSV). */
export interface AdminAnswer<Body = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: Body;
  text: string;
}

/** A small client for /admin with a given key (the master key, a virtual key, or none). */
export function adminClient(origin: string, key: string | undefined) {
  const call = async <Body = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<AdminAnswer<Body>> => {
    const response = await fetch(`${origin}${path}`, {
      method,
      headers: { ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // CSV and other non-JSON answers stay text.
    }
    return { status: response.status, headers: response.headers, body: parsed as Body, text };
  };
  return {
    get: <Body = Record<string, unknown>>(path: string) => call<Body>('GET', path),
    post: <Body = Record<string, unknown>>(path: string, body?: unknown) => call<Body>('POST', path, body ?? {}),
    patch: <Body = Record<string, unknown>>(path: string, body: unknown) => call<Body>('PATCH', path, body),
    delete: <Body = Record<string, unknown>>(path: string) => call<Body>('DELETE', path),
  };
}

/** The parts of a chat answer (or error) tests read. */
export interface ChatJson {
  error?: { message: string; type: string; code: string | null };
  usage?: { prompt_tokens: number; completion_tokens: number };
  choices?: Array<{ message: { content: string | null } }>;
}

/** POSTs a chat completion with a key and returns the raw response (status, headers, JSON). */
export async function chat(origin: string, key: string | undefined, body: Record<string, unknown>, signal?: AbortSignal) {
  const response = await fetch(`${origin}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: (text.startsWith('{') ? JSON.parse(text) : undefined) as ChatJson | undefined };
}
