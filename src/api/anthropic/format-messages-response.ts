import type { ChatResult, FinishReason } from '../../core/chat-result.ts';
import { GatewayError } from '../../core/errors.ts';
import type { Usage } from '../../core/usage.ts';

/**
 * ChatResult → Anthropic `message` JSON text (openapi.json `Message`). A provider's body that is
 * already in this format is returned as received. `stops` are the caller's `stop_sequences`.
 * The fields openapi.json requires and no other provider fills (`stop_details`, `container`, a
 * text block's `citations`, a tool_use's `caller`, the usage's service fields) are null or their
 * default, as Anthropic writes them when they do not apply.
 */
export function formatMessagesResponse(result: ChatResult, stops?: readonly string[]): string {
  if (result.native?.format === 'anthropic-messages') return result.native.body;
  const stop = anthropicStop(result, stops, result.content.some((part) => part.type === 'refusal'));
  return JSON.stringify({
    id: anthropicMessageId(result.id),
    type: 'message',
    role: 'assistant',
    model: result.model,
    content: result.content.map((part) => toContentBlock(part, result.finishReason === 'length')),
    stop_reason: stop.reason,
    stop_sequence: stop.sequence,
    stop_details: null,
    container: null,
    usage: Object.assign(anthropicUsage(result.usage), { cache_creation: cacheCreation(result.usage), inference_geo: null, server_tool_use: null, service_tier: null }),
  });
}

/**
 * openapi.json `CacheCreation`: the cache writes by lifetime, when the provider reported them so
 * (Anthropic); null otherwise (no writes, or writes of another provider's lifetime).
 */
function cacheCreation(usage: Usage): { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number } | null {
  const written = usage.cacheWriteTokens ?? 0;
  if (written === 0 || usage.cacheWrite1hTokens === undefined) return null;
  const forAnHour = Math.min(usage.cacheWrite1hTokens, written);
  return { ephemeral_5m_input_tokens: written - forAnHour, ephemeral_1h_input_tokens: forAnHour };
}

/**
 * The answer's `stop_reason` and `stop_sequence` (openapi.json `Message`: the sequence is a
 * string whenever the reason is "stop_sequence"). Anthropic names the sequence that matched;
 * Bedrock's Converse and Cohere's Chat v2 (STOP_SEQUENCE) say only that one did, which is the
 * caller's when it gave one; with several, which one is unknown and the answer reads as
 * `end_turn`, as other providers' stops do (docs/anthropic-ingress.md).
 */
export function anthropicStop(
  finish: { finishReason: FinishReason; rawFinishReason?: string; stopSequence?: string },
  stops: readonly string[] | undefined,
  refused: boolean,
): { reason: string; sequence: string | null } {
  // An adapter that names the matched sequence (Cohere's STOP_SEQUENCE with one stop given)
  // says the answer stopped on it, whatever its own reason is called.
  const named = finish.stopSequence !== undefined && finish.finishReason === 'stop' && !refused;
  const reason = named ? 'stop_sequence' : anthropicStopReason(finish.finishReason, finish.rawFinishReason, refused);
  if (reason !== 'stop_sequence') return { reason, sequence: null };
  const sequence = finish.stopSequence ?? (stops?.length === 1 ? stops[0]! : undefined);
  return sequence === undefined ? { reason: 'end_turn', sequence: null } : { reason, sequence };
}

type ContentPart = ChatResult['content'][number];

function toContentBlock(part: ContentPart, cutOff: boolean): Record<string, unknown> {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text, citations: null };
    // Anthropic has no refusal block: a refusal is text, with stop_reason "refusal".
    case 'refusal':
      return { type: 'text', text: part.text, citations: null };
    case 'tool-call':
      return { type: 'tool_use', id: part.id, name: part.name, input: toolInput(part.name, part.arguments, cutOff), caller: { type: 'direct' } };
    case 'reasoning':
      if (part.redacted !== undefined) return { type: 'redacted_thinking', data: part.redacted };
      return { type: 'thinking', thinking: part.text, signature: part.signature ?? '' };
    default: {
      const exhaustive: never = part;
      return exhaustive;
    }
  }
}

/**
 * A tool call's JSON argument text → tool_use.input, which must be an object
 * (openapi.json `ResponseToolUseBlock.input`). Empty arguments are the empty object; anything
 * that is not a JSON object cannot be expressed in Anthropic's format and is reported, not guessed.
 * Except in an answer `cutOff` by max_tokens: the last call's arguments then stop mid-JSON, and
 * Anthropic answers such a turn with stop_reason "max_tokens" and the incomplete tool_use block
 * (docs "Handling stop reasons", max_tokens), not an error the SDK would retry into the same cut:
 * its input is the empty object.
 */
function toolInput(name: string, text: string, cutOff: boolean): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    if (cutOff && value === undefined) return {};
    throw new GatewayError('SB_ERR_UPSTREAM_INVALID_RESPONSE', `The model called the tool "${name}" with arguments that are not a JSON object, which Anthropic's tool_use.input must be.`);
  }
  return value as Record<string, unknown>;
}

/** Anthropic message ids start with `msg_`; other providers' ids are kept after the prefix. */
export function anthropicMessageId(id: string): string {
  return id.startsWith('msg_') ? id : `msg_${id}`;
}

/** openapi.json `StopReason`. */
const anthropicStopReasons: ReadonlySet<string> = new Set(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal']);

/**
 * Unified finish reason → Anthropic `stop_reason`. A raw reason that already is one of
 * Anthropic's (an Anthropic-protocol upstream, Bedrock's Converse API) is kept as it is, so
 * `stop_sequence` and `pause_turn` survive; otherwise the unified reason is mapped. An answer
 * that `refused` (an OpenAI-style `refusal`, which ends with finish_reason "stop":
 * ../shared/specs/openai/examples/chat-completions-stream-refusal.sse) stops with "refusal", as
 * docs/anthropic-ingress.md says.
 */
export function anthropicStopReason(reason: FinishReason, raw: string | undefined, refused = false): string {
  if (raw !== undefined && anthropicStopReasons.has(raw)) return raw;
  switch (reason) {
    case 'stop':
    case 'other':
    case 'error':
      return refused ? 'refusal' : 'end_turn';
    case 'length':
      return 'max_tokens';
    case 'tool-calls':
      return 'tool_use';
    case 'content-filter':
      return 'refusal';
    default: {
      const exhaustive: never = reason;
      return exhaustive;
    }
  }
}

/**
 * Usage → Anthropic's usage object. Anthropic's `input_tokens` excludes the prompt tokens read
 * from or written to its cache (openapi.json `Usage`: the three counts add up to the prompt),
 * while Usage.inputTokens is the whole prompt, so the cached parts are taken out of it.
 */
export function anthropicUsage(usage: Usage): {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
} {
  const cacheRead = usage.cachedInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  return {
    input_tokens: Math.max(0, usage.inputTokens - cacheRead - cacheWrite),
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
    output_tokens: usage.outputTokens,
  };
}
