import type { ChatRequest } from '../core/chat-request.ts';
import { countTextTokens } from '../tokens/count.ts';

/**
 * The request that continues a broken streamed answer (docs/decisions/0007-stream-resume.md):
 * `original` with the text the caller got so far (`sent`, in order) as an assistant prefix, built
 * from the typed request (a continuation is never passed through verbatim: its messages differ
 * from the caller's), asking for no more tokens than the caller still allows. A request that
 * itself ends with an assistant turn (a caller's own prefill) has that text put before the
 * answer's. Undefined when it cannot be continued (several choices, a prefill that is not text).
 */
export function continuationRequest(original: ChatRequest, sent: readonly string[]): ChatRequest | undefined {
  if (original.n !== undefined && original.n > 1) return undefined;
  let messages = original.messages;
  // The text streamed so far, as one text: counted as such too (countStreamedTokens says why).
  const streamed = sent.join('');
  let prefix = streamed;
  const last = messages.at(-1);
  if (last?.role === 'assistant') {
    if (!last.content.every((part) => part.type === 'text')) return undefined;
    prefix = last.content.map((part) => (part.type === 'text' ? part.text : '')).join('') + prefix;
    messages = messages.slice(0, -1);
  }
  const { native: _native, ...typed } = original;
  const request: ChatRequest = { ...typed, messages, assistantPrefix: prefix };
  if (original.maxOutputTokens !== undefined) request.maxOutputTokens = Math.max(1, original.maxOutputTokens - countTextTokens(streamed));
  return request;
}
