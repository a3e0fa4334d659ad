import type { ProviderErrorDetail } from '../_shared/upstream-error.ts';

/** One entry of a 422 body's `detail` (ValidationError in ../shared/specs/mistral/openapi.yaml). */
interface ValidationDetail {
  loc?: Array<string | number> | null;
  msg?: string | null;
  type?: string | null;
}

/**
 * Mistral error bodies → message and code. Seen shapes:
 * - 422 as the spec's HTTPValidationError: `{"detail": [{"loc": ["body", "user"], "msg": ..., "type": "extra_forbidden"}]}`;
 * - 422 as the API sends it: `{"object": "error", "message": {"detail": [...]}, "type": "invalid_request_error", ...}`;
 * - 400/429/5xx: `{"object": "error", "message": "Tool call id was ...", "type": ..., "code": "3280"}`;
 * - 401: `{"message": "Unauthorized", "request_id": ...}`; some gateways `{"detail": "..."}`.
 * Validation details become one readable line: `body.messages.0.name: Extra inputs are not permitted`.
 */
export function readMistralError(body: unknown): ProviderErrorDetail {
  if (!body || typeof body !== 'object') return {};
  const record = body as { message?: unknown; detail?: unknown; type?: unknown; code?: unknown; error?: { message?: unknown } | null };
  const code = typeof record.code === 'string' || typeof record.code === 'number' ? String(record.code) : typeof record.type === 'string' ? record.type : undefined;
  const message =
    describeDetail(record.detail) ??
    (typeof record.message === 'string' ? record.message : undefined) ??
    describeDetail((record.message as { detail?: unknown } | null)?.detail) ??
    describeDetail(record.message) ??
    (typeof record.error?.message === 'string' ? record.error.message : undefined);
  return { ...(message ? { message } : {}), ...(code ? { code } : {}) };
}

function describeDetail(detail: unknown): string | undefined {
  if (typeof detail === 'string') return detail;
  if (!Array.isArray(detail) || detail.length === 0) return undefined;
  return (detail as ValidationDetail[])
    .map((entry) => {
      const location = (entry.loc ?? []).join('.');
      return location ? `${location}: ${entry.msg ?? entry.type ?? 'invalid'}` : (entry.msg ?? entry.type ?? 'invalid');
    })
    .join('; ');
}
