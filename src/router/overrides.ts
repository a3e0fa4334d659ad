import type { ChatRequest } from '../core/chat-request.ts';
import type { Warning } from '../core/chat-result.ts';

/**
 * A rule's `set:` applied to a request: the typed fields and, when the request will be passed
 * through in its own wire format, the native body too, so both paths send the same values.
 * Each override is returned as a warning for the ledger: a request is never changed silently.
 */
export function applyOverrides(request: ChatRequest, set: Readonly<Record<string, unknown>>, ruleIndex: number): { request: ChatRequest; warnings: Warning[] } {
  const next: ChatRequest = { ...request };
  const native = request.native ? { format: request.native.format, body: { ...request.native.body } } : undefined;
  const warnings: Warning[] = [];
  for (const [key, value] of Object.entries(set)) {
    switch (key) {
      case 'temperature':
        next.temperature = Number(value);
        break;
      case 'top_p':
        next.topP = Number(value);
        break;
      case 'top_k':
        next.topK = Number(value);
        break;
      case 'max_tokens':
        next.maxOutputTokens = Number(value);
        break;
      case 'seed':
        next.seed = Number(value);
        break;
      case 'presence_penalty':
        next.presencePenalty = Number(value);
        break;
      case 'frequency_penalty':
        next.frequencyPenalty = Number(value);
        break;
      case 'reasoning_effort':
        next.reasoningEffort = String(value);
        break;
      case 'stop':
        next.stop = Array.isArray(value) ? value.map(String) : [String(value)];
        break;
      default:
        continue;
    }
    if (native) setNative(native, key, key === 'stop' ? next.stop : value);
    warnings.push({ type: 'other', setting: key, message: `rules[${ruleIndex}] set ${key} to ${JSON.stringify(value)}` });
  }
  return { request: native ? { ...next, native } : next, warnings };
}

/** Writes an override under the field name of the body's own format. */
function setNative(native: NonNullable<ChatRequest['native']>, key: string, value: unknown): void {
  const body = native.body;
  if (native.format === 'openai-chat') {
    if (key === 'max_tokens' && 'max_completion_tokens' in body) body.max_completion_tokens = value;
    else body[key] = value;
    return;
  }
  // Anthropic Messages names (../shared/specs/anthropic/openapi.json): stop_sequences; no seed or penalties.
  if (key === 'stop') body.stop_sequences = value;
  else if (key === 'temperature' || key === 'top_p' || key === 'top_k' || key === 'max_tokens') body[key] = value;
}
