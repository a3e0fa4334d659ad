import type { ChatMessage } from '../../core/chat-request.ts';

/**
 * The prompt-caching breakpoints a conversation marks on text that is sent (not empty): what an
 * adapter that caches by breakpoint counts to send the latest ones its provider allows (Anthropic
 * and Bedrock take four).
 */
export function countBreakpoints(messages: readonly ChatMessage[]): number {
  let count = 0;
  for (const message of messages) {
    for (const part of message.content) if (part.type === 'text' && part.cacheBreakpoint !== undefined && part.text !== '') count += 1;
  }
  return count;
}
