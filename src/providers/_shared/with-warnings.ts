import type { Transformer } from 'node:stream/web';
import type { Warning } from '../../core/chat-result.ts';
import type { StreamEvent } from '../../core/stream-event.ts';

/** Adds an adapter's request-conversion warnings to the stream's `stream-start` event. */
export function withWarnings(events: ReadableStream<StreamEvent>, warnings: readonly Warning[]): ReadableStream<StreamEvent> {
  const stage = warningsTransformer(warnings);
  return stage ? events.pipeThrough(new TransformStream(stage)) : events;
}

/** The same as a stage to fuse after a provider's events (src/streams/fuse.ts); undefined without warnings. */
export function warningsTransformer(warnings: readonly Warning[]): Transformer<StreamEvent, StreamEvent> | undefined {
  if (warnings.length === 0) return undefined;
  return {
    transform(event, controller) {
      controller.enqueue(event.type === 'stream-start' ? { ...event, warnings: [...event.warnings, ...warnings] } : event);
    },
  };
}
