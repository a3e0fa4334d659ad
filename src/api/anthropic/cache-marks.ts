import type { CacheBreakpoint, TextPart } from '../../core/chat-request.ts';
import type { AnthropicMessagesBody } from './messages-request-schema.ts';

/**
 * Anthropic's prompt-caching marks (`cache_control`, openapi.json `CacheControlEphemeral`:
 * `type: "ephemeral"`, `ttl` `5m` or `1h`) in the typed request. A mark on a text block (system,
 * user, assistant, or a tool result's text) becomes the text part's breakpoint, which adapters
 * that cache by breakpoint send in their own terms (Bedrock's cachePoint; Anthropic's own
 * cache_control when the body is not relayed as it came); so does a mark on a tool definition
 * (the typed tool's breakpoint, named `tools[].cache_control`). Marks the typed request cannot
 * carry (the top-level automatic one, on images, documents or tool calls) are named apart, so
 * that a provider they do not reach says so on the ledger row.
 */

type Marked = { cache_control?: unknown };

/** The breakpoint a block's `cache_control` asks for, if it has one. */
export function breakpointOf(block: object): CacheBreakpoint | undefined {
  const mark = (block as Marked).cache_control;
  if (typeof mark !== 'object' || mark === null) return undefined;
  return (mark as { ttl?: unknown }).ttl === '1h' ? { minTtlSeconds: 3_600 } : {};
}

/** A text part of `text`, with the breakpoint its block's `cache_control` asks for. */
export function markedText(block: { text: string }): TextPart {
  const mark = breakpointOf(block);
  return mark ? { type: 'text', text: block.text, cacheBreakpoint: mark } : { type: 'text', text: block.text };
}

/**
 * Puts a tool result block's mark on the last text part of its content (the end of the result, as
 * the mark on the block means); false when it has no text to carry it.
 */
export function markLastText(content: Array<TextPart | { type: string }>, mark: CacheBreakpoint): boolean {
  for (let index = content.length - 1; index >= 0; index -= 1) {
    const part = content[index]!;
    if (part.type === 'text') {
      (part as TextPart).cacheBreakpoint = mark;
      return true;
    }
  }
  return false;
}

/** The names of the body's prompt-caching marks, for `native.nativeOnly`: those on text, and each kind the typed request cannot carry. */
export function cacheMarkSettings(body: Record<string, unknown>, request: AnthropicMessagesBody): string[] {
  const found = new Set<string>();
  const marked = (block: unknown) => typeof block === 'object' && block !== null && (block as Marked).cache_control != null;
  if (body.cache_control != null) found.add('cache_control (top level)');
  if (request.tools?.some(marked)) found.add('tools[].cache_control');
  if (Array.isArray(request.system) && request.system.some(marked)) found.add('cache_control');
  for (const message of request.messages) {
    if (typeof message.content === 'string') continue;
    for (const block of message.content) {
      if (block.type === 'tool_result' && Array.isArray(block.content)) {
        for (const inner of block.content) if (marked(inner)) found.add(inner.type === 'text' ? 'cache_control' : 'cache_control on images, documents and tool calls');
      }
      if (!marked(block)) continue;
      const onText = block.type === 'text' || (block.type === 'tool_result' && carriesText(block.content));
      found.add(onText ? 'cache_control' : 'cache_control on images, documents and tool calls');
    }
  }
  return [...found];
}

function carriesText(content: unknown): boolean {
  if (typeof content === 'string') return content !== '';
  return Array.isArray(content) && content.some((part) => (part as { type?: string }).type === 'text');
}
