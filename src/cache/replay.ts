import type { ChatResult } from '../core/chat-result.ts';
import type { StreamEvent } from '../core/stream-event.ts';

/**
 * A cached answer as a stream of events, for a streamed request that hits the cache: one block
 * per part, the same event sequence an adapter emits, then `finish` with the original usage.
 */
export function replayAsStream(result: ChatResult): ReadableStream<StreamEvent> {
  const events: StreamEvent[] = [{ type: 'stream-start', id: result.id, model: result.model, created: result.created, warnings: [] }];
  result.content.forEach((part, index) => {
    switch (part.type) {
      case 'text':
        events.push({ type: 'text-start', id: `text-${index}` }, { type: 'text-delta', id: `text-${index}`, delta: part.text }, { type: 'text-end', id: `text-${index}` });
        return;
      case 'reasoning':
        events.push(
          { type: 'reasoning-start', id: `reasoning-${index}` },
          { type: 'reasoning-delta', id: `reasoning-${index}`, delta: part.text },
          { type: 'reasoning-end', id: `reasoning-${index}` },
        );
        return;
      case 'refusal':
        events.push({ type: 'refusal-delta', delta: part.text });
        return;
      case 'tool-call':
        events.push({ type: 'tool-input-start', id: part.id, toolName: part.name }, { type: 'tool-input-delta', id: part.id, delta: part.arguments }, { type: 'tool-input-end', id: part.id });
        return;
      default: {
        const exhaustive: never = part;
        return exhaustive;
      }
    }
  });
  events.push({ type: 'finish', finishReason: result.finishReason, ...(result.rawFinishReason ? { rawFinishReason: result.rawFinishReason } : {}), usage: result.usage });
  return new ReadableStream<StreamEvent>({
    start(controller) {
      for (const event of events) controller.enqueue(event);
      controller.close();
    },
  });
}
