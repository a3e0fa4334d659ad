import type { EventReader } from '../../src/core/stream-event.ts';
import { PullReader, readerOf } from '../../src/streams/event-reader.ts';

/** Every chunk of a stream (a web stream, or a lean reader such as an adapter's events), read to its end. */
export async function readAll<T>(stream: ReadableStream<T> | EventReader<T>): Promise<T[]> {
  const reader = readerOf(stream);
  const chunks: T[] = [];
  for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
  return chunks;
}

/**
 * A lean reader whose first pull enqueues every chunk at once, as the events of one upstream read
 * arrive, and whose next pull ends it; `pulls()` says how many pulls it took.
 */
export function burstReader<T>(chunks: readonly T[]): { reader: PullReader<T>; pulls: () => number } {
  let pulls = 0;
  const reader = new PullReader<T>({
    pull(controller) {
      pulls += 1;
      if (pulls > 1) return controller.close();
      for (const chunk of chunks) controller.enqueue(chunk);
    },
  });
  return { reader, pulls: () => pulls };
}

/**
 * Every chunk of a lean reader, read the way the HTTP layer reads a stream
 * (src/server/send-stream.ts): a read, then every chunk ready at once (`poll`), unless `polls`
 * is false; and how many reads it took.
 */
export async function readPolling<T>(reader: EventReader<T>, polls = true): Promise<{ events: T[]; reads: number }> {
  const events: T[] = [];
  let reads = 0;
  for (;;) {
    reads += 1;
    const next = await reader.read();
    if (next.done) return { events, reads };
    events.push(next.value);
    if (!polls) continue;
    for (let ready = reader.poll?.(); ready !== undefined; ready = reader.poll?.()) {
      if (ready.done) return { events, reads };
      events.push(ready.value);
    }
  }
}
