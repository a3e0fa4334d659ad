import type { ChatRequest } from '../../core/chat-request.ts';
import type { Warning } from '../../core/chat-result.ts';

/**
 * Top-level OpenAI Chat Completions fields that ChatRequest models (see
 * src/api/openai/chat-request-schema.ts). Everything else in an OpenAI-ingress body exists only
 * in `request.native` and reaches OpenAI-style providers through passthrough alone.
 */
const modelledOpenAIFields: ReadonlySet<string> = new Set([
  'model', 'messages', 'tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'max_tokens',
  'max_completion_tokens', 'temperature', 'top_p', 'top_k', 'stop', 'seed', 'n', 'presence_penalty',
  'frequency_penalty', 'logprobs', 'top_logprobs', 'user', 'reasoning_effort', 'stream', 'stream_options',
]);

/** What an adapter without OpenAI passthrough does with the fields ChatRequest does not model. */
export interface NativeExtras {
  /** Fields the provider takes under the same name and meaning: sent unchanged. */
  relayed: Record<string, unknown>;
  /** One `dropped-setting` warning per other field (never silently lost, STYLE rule 5). */
  warnings: Warning[];
}

/**
 * Splits the unmodelled top-level fields of an OpenAI-ingress body (null values count as
 * absent) into those `relayable` names the provider accepts as they are and warnings for the
 * rest. Adapters whose providers reject unknown fields (Mistral answers 422) build their body
 * from the typed request and add only `relayed`.
 */
export function nativeExtras(request: ChatRequest, relayable: ReadonlySet<string>, provider: string): NativeExtras {
  const relayed: Record<string, unknown> = {};
  const warnings: Warning[] = [];
  if (request.native?.format !== 'openai-chat') return { relayed, warnings };
  for (const [field, value] of Object.entries(request.native.body)) {
    if (modelledOpenAIFields.has(field) || value === null || value === undefined) continue;
    if (relayable.has(field)) relayed[field] = value;
    else warnings.push({ type: 'dropped-setting', setting: field, message: `${provider} has no "${field}" parameter; it was not sent` });
  }
  return { relayed, warnings };
}
