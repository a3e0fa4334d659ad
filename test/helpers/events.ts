import type { EventReader } from '../../src/core/stream-event.ts';
import { readerOf } from '../../src/streams/event-reader.ts';

/** Every chunk of a stream (a web stream, or a lean reader such as an adapter's events), read to its end. */
export async function readAll<T>(stream: ReadableStream<T> | EventReader<T>): Promise<T[]> {
  const reader = readerOf(stream);
  const chunks: T[] = [];
  for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
  return chunks;
}
