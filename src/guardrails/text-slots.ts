import type { ChatRequest } from '../core/chat-request.ts';

/** One piece of caller text a guardrail reads and, for redaction, rewrites. */
export interface TextSlot {
  get(): string;
  set(text: string): void;
}

/**
 * The caller's text in a chat request: every text part (system, user, assistant history, tool
 * results) and the arguments of past tool calls. Images, files and reasoning signatures are not
 * text the caller typed and are left alone.
 */
export function chatTextSlots(request: ChatRequest): TextSlot[] {
  const slots: TextSlot[] = [];
  for (const message of request.messages) {
    for (const part of message.content) {
      if (part.type === 'text') {
        slots.push({ get: () => part.text, set: (text) => (part.text = text) });
      } else if (part.type === 'tool-call') {
        slots.push({ get: () => part.arguments, set: (text) => (part.arguments = text) });
      }
    }
  }
  return slots;
}

/** The inputs of an embeddings request. */
export function inputTextSlots(input: string[]): TextSlot[] {
  return input.map((_, index) => ({ get: () => input[index]!, set: (text) => (input[index] = text) }));
}

/** Fields of a native body that hold identifiers, media or signatures rather than caller text. */
const opaqueFields = new Set(['model', 'role', 'type', 'id', 'tool_call_id', 'tool_use_id', 'url', 'image_url', 'data', 'file_data', 'file_id', 'signature', 'media_type']);

/**
 * Applies `rewrite` to every text value of a native body (the caller's original JSON, which
 * same-format adapters forward instead of the parsed request), so a redaction cannot be
 * bypassed by passthrough. Returns a rewritten copy.
 */
export function rewriteNativeBody(body: Record<string, unknown>, rewrite: (text: string) => string): Record<string, unknown> {
  const walk = (value: unknown, field: string | undefined): unknown => {
    if (typeof value === 'string') return field !== undefined && opaqueFields.has(field) ? value : rewrite(value);
    if (Array.isArray(value)) return value.map((item) => walk(item, field));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, key)]));
    }
    return value;
  };
  return walk(body, undefined) as Record<string, unknown>;
}
