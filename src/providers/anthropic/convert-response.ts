import { randomUUID } from 'node:crypto';
import type { ChatResult, Warning } from '../../core/chat-result.ts';
import { isJsonObject, nonObjectEntry } from '../_shared/answer-shape.ts';
import { convertUsage } from './convert-usage.ts';
import { mapStopReason } from './map-stop-reason.ts';
import type { AnthropicContentBlock, AnthropicMessage } from './wire-types.ts';

/**
 * What keeps a 200 body from being a Message, or undefined when it is one (openapi.json `Message`:
 * `type` is always "message", `content` an array of content blocks). An empty `content` is an
 * answer (the model may end its turn without a word, as after a tool result).
 */
export function messageProblem(body: unknown): string | undefined {
  if (!isJsonObject(body)) return 'it is not a JSON object';
  if (body.type !== 'message') return '"type" is not "message"';
  if (!Array.isArray(body.content)) return '"content" is not an array';
  return nonObjectEntry(body.content, 'content');
}

/**
 * Anthropic `Message` body → ChatResult (openapi.json `Message`, `ContentBlock`). Text,
 * tool_use, thinking and redacted_thinking blocks become parts in their order; server-tool
 * blocks (web search and the like, only requested through the Anthropic ingress, which returns
 * the native body) have no part and are named in a warning. Anthropic sends no creation time:
 * `created` is the time the answer arrived.
 */
export function convertResponse(body: AnthropicMessage, requestedModel: string): Omit<ChatResult, 'native'> {
  const content: ChatResult['content'] = [];
  const warnings: Warning[] = [];
  for (const block of body.content ?? []) {
    const part = convertBlock(block);
    if (part) content.push(part);
    else warnings.push({ type: 'other', setting: 'content', message: `Anthropic answered with a "${block.type ?? 'unknown'}" block, which has no equivalent here; it was left out` });
  }
  return {
    id: body.id ?? `msg_${randomUUID().replaceAll('-', '')}`,
    model: body.model ?? requestedModel,
    created: Math.floor(Date.now() / 1000),
    content,
    finishReason: mapStopReason(body.stop_reason),
    ...(body.stop_reason ? { rawFinishReason: body.stop_reason } : {}),
    ...(typeof body.stop_sequence === 'string' ? { stopSequence: body.stop_sequence } : {}),
    usage: convertUsage(body.usage),
    warnings,
  };
}

function convertBlock(block: AnthropicContentBlock): ChatResult['content'][number] | undefined {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text ?? '' };
    case 'tool_use':
      return {
        type: 'tool-call',
        id: block.id ?? `toolu_${randomUUID().replaceAll('-', '')}`,
        name: block.name ?? '',
        arguments: JSON.stringify(block.input ?? {}),
      };
    case 'thinking':
      return { type: 'reasoning', text: block.thinking ?? '', ...(block.signature ? { signature: block.signature } : {}) };
    case 'redacted_thinking':
      return { type: 'reasoning', text: '', redacted: block.data ?? '' };
    default:
      return undefined;
  }
}
