import type { ProviderErrorDetail } from '../_shared/upstream-error.ts';

/** OpenAI error body: `{"error": {"message", "type", "param", "code"}}` (openapi.yaml ErrorResponse). */
export function readOpenAIError(body: unknown): ProviderErrorDetail {
  const error = (body as { error?: { message?: unknown; code?: unknown; type?: unknown; param?: unknown } } | null)?.error;
  if (!error || typeof error !== 'object') {
    // Some compatible servers (vLLM, llama.cpp) answer {"message": ...} or {"detail": ...}.
    const flat = body as { message?: unknown; detail?: unknown } | null;
    const message = typeof flat?.message === 'string' ? flat.message : typeof flat?.detail === 'string' ? flat.detail : undefined;
    return { message };
  }
  const code = typeof error.code === 'string' ? error.code : typeof error.type === 'string' ? error.type : undefined;
  return {
    message: typeof error.message === 'string' ? error.message : undefined,
    code,
    ...(typeof error.param === 'string' ? { param: error.param } : {}),
  };
}
