import type { Warning } from '../../core/chat-result.ts';
import type { EmbeddingRequest, EmbeddingResult } from '../../core/embedding.ts';
import { GatewayError, toGatewayError, withUsage } from '../../core/errors.ts';
import type { Usage } from '../../core/usage.ts';

/**
 * Top-level CreateEmbeddingRequest fields EmbeddingRequest models and every adapter translates
 * (../shared/specs/openai/openapi.yaml). `user` is not among them: only OpenAI-style providers
 * have it, so it is one of the extras below for the others.
 */
const modelledFields: ReadonlySet<string> = new Set(['model', 'input', 'encoding_format', 'dimensions']);

/**
 * The texts of an embeddings request for a provider that embeds text only, or a 400 before any
 * call for OpenAI's token-id inputs (which such a request carries in `native` alone, with no
 * text): sent, they were an empty list the provider refuses or answers with no vectors.
 */
export function embeddingTexts(request: EmbeddingRequest, provider: string): string[] {
  if (request.input.length === 0) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `${provider} embeds text only; token-id inputs cannot be sent to it.`, { param: 'input' });
  }
  return request.input;
}

/**
 * The caller's fields beyond the modelled ones (`user`, and the extensions the ingress lets
 * through: Mistral's `output_dtype`, Cohere's `truncate`, ...), split into those `relayable`
 * under the same name and meaning, sent as they are, and a `dropped-setting` warning for each
 * other one: never lost silently (STYLE rule 5). Null values count as absent.
 */
export function embeddingExtras(request: EmbeddingRequest, relayable: ReadonlySet<string>, provider: string): { relayed: Record<string, unknown>; warnings: Warning[] } {
  const relayed: Record<string, unknown> = {};
  const warnings: Warning[] = [];
  const fields = request.native?.format === 'openai-embeddings' ? request.native.body : { user: request.user };
  for (const [field, value] of Object.entries(fields)) {
    if (modelledFields.has(field) || value === null || value === undefined) continue;
    if (relayable.has(field)) relayed[field] = value;
    else warnings.push({ type: 'dropped-setting', setting: field, message: `${provider} has no "${field}" parameter for embeddings; it was not sent` });
  }
  return { relayed, warnings };
}

/**
 * Embeds `texts` in consecutive batches of at most `size` (a provider's per-call limit), one call
 * after another, and joins the answers in input order: vectors concatenated, token counts summed,
 * estimated when any batch's was.
 */
export async function embedInBatches(
  texts: readonly string[],
  size: number,
  embed: (batch: string[]) => Promise<EmbeddingResult>,
): Promise<EmbeddingResult> {
  const results: EmbeddingResult[] = [];
  try {
    for (let offset = 0; offset < texts.length; offset += size) results.push(await embed(texts.slice(offset, offset + size)));
  } catch (error) {
    // The batches answered before this one were billed: their usage goes with the failure, so
    // that the attempt's ledger entry and the row count them (src/router/executor.ts `spend`).
    if (results.length === 0) throw error;
    throw withUsage(toGatewayError(error), joinedUsage(results));
  }
  if (results.length === 1) return results[0]!;
  return { model: results[0]!.model, embeddings: results.flatMap((result) => result.embeddings), usage: joinedUsage(results) };
}

/** The batches' token counts summed, estimated when any batch's was. */
function joinedUsage(results: readonly EmbeddingResult[]): Usage {
  const estimated = results.some((result) => result.usage.estimated);
  return { inputTokens: results.reduce((sum, result) => sum + result.usage.inputTokens, 0), outputTokens: 0, ...(estimated ? { estimated } : {}) };
}
