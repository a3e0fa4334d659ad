import type { EventStream, StreamEvent } from '../../src/core/stream-event.ts';
import { readerOf } from '../../src/streams/event-reader.ts';

/** Every event of an adapter's stream (a web stream or a lean reader), read to its end. */
export async function collectEvents(stream: EventStream): Promise<StreamEvent[]> {
  const reader = readerOf(stream);
  const events: StreamEvent[] = [];
  for (let next = await reader.read(); !next.done; next = await reader.read()) events.push(next.value);
  return events;
}
