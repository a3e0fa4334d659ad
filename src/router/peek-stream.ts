import type { StreamEvent } from '../core/stream-event.ts';

/** Events that mean the provider has started answering (the caller would see them). */
function isFirstOutput(event: StreamEvent): boolean {
  switch (event.type) {
    case 'text-delta':
    case 'reasoning-delta':
    case 'refusal-delta':
    case 'tool-input-start':
    case 'finish':
      return true;
    default:
      return false;
  }
}

/**
 * Reads a stream up to its first output event. Throws the stream's error if it fails before
 * that (so the executor can fall back with the caller none the wiser); otherwise returns a
 * stream that replays what was read, then continues.
 */
export async function peekStream(stream: ReadableStream<StreamEvent>): Promise<ReadableStream<StreamEvent>> {
  const reader = stream.getReader();
  const buffered: StreamEvent[] = [];
  for (;;) {
    const next = await reader.read();
    if (next.done) break;
    if (next.value.type === 'error') {
      await reader.cancel().catch(() => undefined);
      throw next.value.error;
    }
    buffered.push(next.value);
    if (isFirstOutput(next.value)) break;
  }
  return new ReadableStream<StreamEvent>(
    {
      async pull(controller) {
        const event = buffered.shift();
        if (event) {
          controller.enqueue(event);
          return;
        }
        const next = await reader.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel(reason) {
        await reader.cancel(reason).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
