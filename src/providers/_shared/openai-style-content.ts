import type { AssistantMessage, ImagePart, TextPart } from '../../core/chat-request.ts';

/**
 * Message content in the shapes of OpenAI's Chat Completions, which Mistral and Cohere take
 * too: text as a plain string or text parts, images as `image_url` parts, tool calls as
 * `function` calls.
 */

/** One text part as a plain string (the common case), several as text parts (never joined: no separator is invented). */
export function textContent(parts: ReadonlyArray<TextPart>): string | Array<{ type: 'text'; text: string }> {
  if (parts.length === 0) return '';
  if (parts.length === 1) return parts[0]!.text;
  return parts.map((part) => ({ type: 'text', text: part.text }));
}

/** An image as an `image_url` part, with OpenAI's `detail` hint when the caller gave one. */
export function imageUrlPart(part: ImagePart): Record<string, unknown> {
  return { type: 'image_url', image_url: { url: part.url, ...(part.detail ? { detail: part.detail } : {}) } };
}

/** An assistant turn's tool calls as `tool_calls` entries; `callId` rewrites ids the provider would reject. */
export function functionToolCalls(
  message: AssistantMessage,
  callId: (id: string) => string = (id) => id,
): Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> {
  return message.content.flatMap((part) =>
    part.type === 'tool-call' ? [{ id: callId(part.id), type: 'function' as const, function: { name: part.name, arguments: part.arguments } }] : [],
  );
}
