import { GatewayError, withUsage } from '../core/errors.ts';
import type { EventReader, EventStream, ReadResult, StreamEvent } from '../core/stream-event.ts';
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
 * A promise chain, not an async loop: its suspended frame was kept until the first token
 * (executeChat's comment, src/router/execute.ts).
 */
export function peekStream(stream: EventStream): Promise<PeekedStream> {
  try {
    return peekFrom(readerOf(stream), []);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Reads on: what is at hand at once, then one read at a time. */
function peekFrom(reader: EventReader<StreamEvent>, buffered: StreamEvent[]): Promise<PeekedStream> {
  for (;;) {
    const polled = reader.poll?.();
    if (polled === undefined) {
      return reader.read().then(
        (next) => peeked(reader, buffered, next) ?? peekFrom(reader, buffered),
        (error: unknown) => cancelled(reader, error),
      );
    }
    const done = peeked(reader, buffered, polled);
    if (done) return Promise.resolve(done);
  }
}

/** One event read: the peeked stream at the first output, a rejection at an end or an error, else undefined (read on). */
function peeked(reader: EventReader<StreamEvent>, buffered: StreamEvent[], next: ReadResult<StreamEvent>): PeekedStream | Promise<never> | undefined {
  if (next.done) return Promise.reject(new GatewayError('SB_ERR_STREAM_INTERRUPTED', 'The provider ended the stream before it answered'));
  if (next.value.type === 'error') {
    // A failed generation's usage rides on its event: the attempt's failure carries it on.
    return cancelled(reader, next.value.usage ? withUsage(next.value.error, next.value.usage) : next.value.error);
  }
  buffered.push(next.value);
  return isFirstOutput(next.value) ? { buffered, reader } : undefined;
}

/** `error`, once the stream is cancelled (its connection released). */
function cancelled(reader: EventReader<StreamEvent>, error: unknown): Promise<never> {
  return reader
    .cancel()
    .catch(() => undefined)
    .then(() => {
      throw error;
    });
}
