import { rawPost, rawRequest, type RawAnswer } from './http.ts';

/** An answer from the admin API: status, headers and the parsed JSON body (text for CSV). */
export type AdminAnswer<Body = Record<string, unknown>> = RawAnswer<Body>;

/** A small client for /admin with a given key (the master key, a virtual key, or none). */
export function adminClient(origin: string, key: string | undefined) {
  const call = <Body = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<AdminAnswer<Body>> => rawRequest<Body>(method, origin, path, body, { key });
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
export async function chat(origin: string, key: string | undefined, body: Record<string, unknown>) {
  const { status, headers, text } = await rawPost(origin, '/v1/chat/completions', body, { key });
  // Parsed strictly: an answer that looks like JSON but is not must fail the test.
  return { status, headers, text, json: (text.startsWith('{') ? JSON.parse(text) : undefined) as ChatJson | undefined };
}
