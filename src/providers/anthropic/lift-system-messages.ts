import type { Warning } from '../../core/chat-result.ts';
import { movedSystemWarning } from './convert-messages.ts';

/**
 * A passed-through body's `role: "system"` messages → its top-level `system`. @anthropic-ai/sdk
 * 1.x sends system instructions as such messages (its `SystemMessageParam`), and the Anthropic
 * ingress takes them, but the Messages API this adapter speaks allows only `user` and `assistant`
 * turns (openapi.json `InputMessage.role`) and answers 400 `Unexpected role "system"` otherwise.
 *
 * An Anthropic-backed model reads the same system texts, in the same order, as `convertMessages`
 * gives it from the typed request (and as OpenAI-style models read them in place): the caller's
 * `system` first, then each system message's content, in order, every text block as it
 * came (`cache_control` included). With one source only, it goes as it came (string or blocks);
 * with several, as text blocks, a string being one block. A system message after the
 * conversation started is moved too, with a warning: Anthropic has no system turn mid-conversation.
 * The other messages are kept as they are; consecutive turns of one role left by the move are
 * merged by Anthropic itself (openapi.json `CreateMessageParams.messages`).
 */
export function liftSystemMessages(body: Record<string, unknown>, warnings: Warning[]): Record<string, unknown> {
  const messages = body.messages;
  if (!Array.isArray(messages) || !messages.some(isSystemMessage)) return body;
  const sources: Array<string | unknown[]> = [];
  if (isNonEmpty(body.system)) sources.push(body.system);
  const turns: unknown[] = [];
  messages.forEach((message: unknown, index) => {
    if (!isSystemMessage(message)) {
      turns.push(message);
      return;
    }
    if (turns.length > 0) warnings.push(movedSystemWarning(index));
    if (isNonEmpty(message.content)) sources.push(message.content);
  });
  const { system: _system, ...rest } = body;
  const system = sources.length === 1 ? sources[0] : sources.flatMap((source) => (typeof source === 'string' ? [{ type: 'text', text: source }] : source));
  // `rest` is a copy of our own: `system` goes after its fields and `messages` takes its place.
  if (system !== undefined) rest.system = system;
  rest.messages = turns;
  return rest;
}

function isSystemMessage(message: unknown): message is { role: 'system'; content?: unknown } {
  return typeof message === 'object' && message !== null && (message as { role?: unknown }).role === 'system';
}

/** Empty text is never sent: Anthropic refuses it (openapi.json `RequestTextBlock.text` minLength 1). */
function isNonEmpty(content: unknown): content is string | unknown[] {
  return (typeof content === 'string' || Array.isArray(content)) && content.length > 0;
}
