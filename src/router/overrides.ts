import type { ChatRequest } from '../core/chat-request.ts';
import type { Warning } from '../core/chat-result.ts';

/** Anthropic Messages' EffortLevel (OutputConfig.effort, ../shared/specs/anthropic/openapi.json). */
const anthropicEffortLevels: ReadonlySet<string> = new Set(['low', 'medium', 'high', 'xhigh', 'max']);

/**
 * A rule's `set:` applied to a request: the typed fields and, when the request will be passed
 * through in its own wire format, the native body too, so both paths send the same values.
 * Each override is returned as a warning for the ledger: a request is never changed silently.
 * The native body keeps its protocol headers and Anthropic-only settings (an outside probe: a
 * rule's `temperature` dropped the caller's `anthropic-beta`).
 */
export function applyOverrides(request: ChatRequest, set: Readonly<Record<string, unknown>>, ruleIndex: number): { request: ChatRequest; warnings: Warning[] } {
  const next: ChatRequest = { ...request };
  // The bytes the body was read from no longer say what it holds (ChatRequest.native.source).
  const { source: _source, ...kept } = request.native ?? {};
  const native = request.native ? { ...kept, format: request.native.format, body: { ...request.native.body } } : undefined;
  const warnings: Warning[] = [];
  for (const [key, value] of Object.entries(set)) {
    let typed: unknown;
    switch (key) {
      case 'temperature':
        typed = next.temperature = Number(value);
        break;
      case 'top_p':
        typed = next.topP = Number(value);
        break;
      case 'top_k':
        typed = next.topK = Number(value);
        break;
      case 'max_tokens':
        typed = next.maxOutputTokens = Number(value);
        break;
      case 'seed':
        typed = next.seed = Number(value);
        break;
      case 'presence_penalty':
        typed = next.presencePenalty = Number(value);
        break;
      case 'frequency_penalty':
        typed = next.frequencyPenalty = Number(value);
        break;
      case 'reasoning_effort':
        typed = next.reasoningEffort = String(value);
        break;
      case 'stop':
        typed = next.stop = Array.isArray(value) ? value.map(String) : [String(value)];
        break;
      default:
        continue;
    }
    // The typed value (a number from YAML text or `${VAR}` is a string) in both: an outside probe
    // found `temperature: "0.5"` sent as a string, which every provider refuses.
    const sent = native ? setNative(native, key, typed) : true;
    const message = `rules[${ruleIndex}] set ${key} to ${JSON.stringify(typed)}`;
    warnings.push({ type: 'other', setting: key, message: sent ? message : `${message} (an Anthropic Messages body has no ${key}: sent only to providers of other formats)` });
  }
  return { request: native ? { ...next, native } : next, warnings };
}

/** Writes an override under the field name of the body's own format; false where that format has no such field. */
function setNative(native: NonNullable<ChatRequest['native']>, key: string, value: unknown): boolean {
  const body = native.body;
  if (native.format === 'openai-chat') {
    if (key === 'max_tokens' && 'max_completion_tokens' in body) body.max_completion_tokens = value;
    else body[key] = value;
    return true;
  }
  // Anthropic Messages names (../shared/specs/anthropic/openapi.json): stop_sequences, output_config.effort; no seed or penalties.
  if (key === 'stop') body.stop_sequences = value;
  else if (key === 'temperature' || key === 'top_p' || key === 'top_k' || key === 'max_tokens') body[key] = value;
  else if (key === 'reasoning_effort' && typeof value === 'string' && anthropicEffortLevels.has(value)) {
    body.output_config = { ...(body.output_config as Record<string, unknown> | undefined), effort: value };
  } else return false;
  return true;
}
