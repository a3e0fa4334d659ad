import type { ProviderErrorDetail } from '../_shared/upstream-error.ts';

/**
 * Cohere error bodies carry the text in `message` for every status (`{"id": ..., "message":
 * "invalid request: ..."}`, https://docs.cohere.com/errors-reference, which lists the messages
 * per status: "too many tokens: ..." is a context overflow); some proxies in front of it answer
 * `{"error": {"message": ...}}`. The message is kept as Cohere wrote it.
 */
export function readCohereError(body: unknown): ProviderErrorDetail {
  if (!body || typeof body !== 'object') return {};
  const record = body as { message?: unknown; error?: { message?: unknown } | null };
  const message = typeof record.message === 'string' ? record.message : typeof record.error?.message === 'string' ? record.error.message : undefined;
  return message ? { message } : {};
}
