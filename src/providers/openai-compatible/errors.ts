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
  const message = typeof error.message === 'string' ? error.message : undefined;
  return {
    message: message === undefined ? undefined : withMetadata(message, (error as { metadata?: unknown }).metadata),
    code,
    ...(typeof error.param === 'string' ? { param: error.param } : {}),
    // OpenAI's "You exceeded your current quota, please check your plan and billing details": a
    // 429 of type (and usually code) `insufficient_quota`, the account out of credit or over its
    // spend limit (platform.openai.com/docs/guides/error-codes): waiting does not end it.
    ...(error.type === 'insufficient_quota' || error.code === 'insufficient_quota' ? { outOfCredit: true } : {}),
  };
}

/**
 * OpenRouter's error bodies add `metadata` (openrouter.ai/docs/api/reference/errors-and-debugging):
 * an upstream provider's own error as `raw` beside its `provider_name` (the message itself is
 * only "Provider returned error"), or a moderation flag's `reasons`. They are what says why.
 */
function withMetadata(message: string, metadata: unknown): string {
  if (typeof metadata !== 'object' || metadata === null) return message;
  const { raw, provider_name: providerName, reasons } = metadata as { raw?: unknown; provider_name?: unknown; reasons?: unknown };
  if (typeof raw === 'string' && raw !== '') return `${message} (${typeof providerName === 'string' ? `${providerName}: ` : ''}${raw})`;
  if (Array.isArray(reasons) && reasons.length > 0 && reasons.every((reason) => typeof reason === 'string')) return `${message} (reasons: ${reasons.join(', ')})`;
  return message;
}
