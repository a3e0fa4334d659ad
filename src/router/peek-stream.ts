import { GatewayError, withUsage } from '../core/errors.ts';
import type { EventReader, EventStream, StreamEvent } from '../core/stream-event.ts';
import { readerOf } from '../streams/event-reader.ts';

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

/** A stream read up to its first output: the events read so far, and the reader of the rest. */
export interface PeekedStream {
  buffered: StreamEvent[];
  reader: EventReader<StreamEvent>;
}

/**
 * Reads a stream up to its first output event. Throws the stream's error if it fails before
 * that (so the executor can fall back with the caller none the wiser); otherwise returns what
 * was read and the reader, for the resumable stream (resume-stream.ts) to replay, then continue.
 */
export async function peekStream(stream: EventStream): Promise<PeekedStream> {
  const reader = readerOf(stream);
  const buffered: StreamEvent[] = [];
  for (;;) {
    const next =
      reader.poll?.() ??
      (await reader.read().catch(async (error: unknown) => {
        await reader.cancel().catch(() => undefined);
        throw error;
      }));
    if (next.done) throw new GatewayError('SB_ERR_STREAM_INTERRUPTED', 'The provider ended the stream before it answered');
    if (next.value.type === 'error') {
      await reader.cancel().catch(() => undefined);
      // A failed generation's usage rides on its event: the attempt's failure carries it on.
      throw next.value.usage ? withUsage(next.value.error, next.value.usage) : next.value.error;
    }
    buffered.push(next.value);
    if (isFirstOutput(next.value)) break;
  }
  return { buffered, reader };
}
