import type { Transformer } from 'node:stream/web';
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

/** The same as a Transformer, to fuse after a provider's events (src/streams/fuse.ts); undefined without warnings. */
export function warningsTransformer(warnings: readonly Warning[]): Transformer<StreamEvent, StreamEvent> | undefined {
  if (warnings.length === 0) return undefined;
  return {
    transform(event, controller) {
      controller.enqueue(event.type === 'stream-start' ? { ...event, warnings: [...event.warnings, ...warnings] } : event);
    },
  };
}
