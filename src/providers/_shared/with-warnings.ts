import type { Warning } from '../../core/chat-result.ts';
import type { StreamEvent } from '../../core/stream-event.ts';

/** Adds an adapter's request-conversion warnings to the stream's `stream-start` event. */
export function withWarnings(events: ReadableStream<StreamEvent>, warnings: readonly Warning[]): ReadableStream<StreamEvent> {
  if (warnings.length === 0) return events;
  return events.pipeThrough(
    new TransformStream<StreamEvent, StreamEvent>({
      transform(event, controller) {
        controller.enqueue(event.type === 'stream-start' ? { ...event, warnings: [...event.warnings, ...warnings] } : event);
      },
    }),
  );
}
