import type { ChatRequest } from '../core/chat-request.ts';
import type { ChatResult } from '../core/chat-result.ts';
import type { CachedAnswer } from '../core/response-cache.ts';
import type { NativeChunkEvent, StreamEvent } from '../core/stream-event.ts';

/**
 * A cached answer as a stream of events, for a streamed request that hits the cache. An answer
 * that was streamed verbatim in the caller's format is replayed as its provider's chunks (every
 * choice, logprobs, signatures: what the first caller got); its usage chunk is written when this
 * caller asked for usage. Otherwise the typed answer goes out one block per part, the same event
 * sequence an adapter emits. Then `finish` with the original usage.
 */
export function replayAsStream(cached: CachedAnswer, request: ChatRequest): ReadableStream<StreamEvent> {
  const { result, stream } = cached;
  const native = stream !== undefined && stream.format === request.native?.format;
  const events: StreamEvent[] = [{ type: 'stream-start', id: result.id, model: result.model, created: result.created, ...(native ? { nativeFormat: stream.format } : {}), warnings: [] }];
  if (native) {
    for (const chunk of stream.chunks) events.push(chunk.usage || chunk.internal ? usageChunk(chunk, request.includeUsage) : chunk);
  } else {
    result.content.forEach((part, index) => events.push(...partEvents(part, index)));
  }
  events.push({
    type: 'finish',
    finishReason: result.finishReason,
    ...(result.rawFinishReason ? { rawFinishReason: result.rawFinishReason } : {}),
    ...(result.stopSequence !== undefined ? { stopSequence: result.stopSequence } : {}),
    usage: result.usage,
  });
  return new ReadableStream<StreamEvent>({
    start(controller) {
      for (const event of events) controller.enqueue(event);
      controller.close();
    },
  });
}

/**
 * OpenAI's usage chunk as this caller asked for it: written when it set
 * `stream_options.include_usage`, else left out (`internal`) unless it carries a choice too.
 */
function usageChunk(chunk: NativeChunkEvent, includeUsage: boolean): NativeChunkEvent {
  const { internal: _internal, usage: _usage, ...rest } = chunk;
  if (includeUsage) return { ...rest, usage: true };
  const usageOnly = (JSON.parse(chunk.data) as { choices?: unknown[] }).choices?.length === 0;
  return usageOnly ? { ...rest, internal: true } : { ...rest, usage: true };
}

function partEvents(part: ChatResult['content'][number], index: number): StreamEvent[] {
  switch (part.type) {
    case 'text': {
      const id = `text-${index}`;
      return [{ type: 'text-start', id }, { type: 'text-delta', id, delta: part.text }, { type: 'text-end', id }];
    }
    case 'reasoning': {
      const id = `reasoning-${index}`;
      const events: StreamEvent[] = [{ type: 'reasoning-start', id }];
      if (part.redacted !== undefined) events.push({ type: 'reasoning-redacted', id, data: part.redacted });
      if (part.text !== '') events.push({ type: 'reasoning-delta', id, delta: part.text });
      if (part.signature !== undefined) events.push({ type: 'reasoning-signature', id, signature: part.signature });
      events.push({ type: 'reasoning-end', id });
      return events;
    }
    case 'refusal':
      return [{ type: 'refusal-delta', delta: part.text }];
    case 'tool-call':
      return [{ type: 'tool-input-start', id: part.id, toolName: part.name }, { type: 'tool-input-delta', id: part.id, delta: part.arguments }, { type: 'tool-input-end', id: part.id }];
    default: {
      const exhaustive: never = part;
      return exhaustive;
    }
  }
}
