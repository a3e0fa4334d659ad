import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventReader, ReadResult, StreamEvent } from '../../core/stream-event.ts';
import { readPolling } from '../../../test/helpers/events.ts';
import { answerComplete } from '../../core/http-client.ts';
import { guardStream } from './guard-stream.ts';
import { EventTooLongError } from './sse.ts';

const source = { provider: 'p1', redact: (text: string) => text };
const start: StreamEvent = { type: 'stream-start', id: 's', model: 'm', created: 1, warnings: [] };
const delta = (text: string): StreamEvent => ({ type: 'text-delta', id: 't', delta: text });

/** Every event, read then polled as the HTTP layer does, and whether the stream rejected a read instead of ending. */
async function drain(reader: EventReader<StreamEvent>): Promise<{ events: StreamEvent[]; rejected: boolean }> {
  try {
    return { events: (await readPolling(reader)).events, rejected: false };
  } catch {
    return { events: [], rejected: true };
  }
}

describe('guardStream read with poll', () => {
  it('passes a burst through polls and ends a stream that stops before its finish with one error event', async () => {
    const ready: Array<ReadResult<StreamEvent>> = [
      { done: false, value: delta('a') },
      { done: false, value: delta('b') },
      { done: true, value: undefined },
    ];
    const events: EventReader<StreamEvent> = { read: async () => ({ done: false, value: start }), poll: () => ready.shift(), cancel: async () => undefined };
    const { events: seen, rejected } = await drain(guardStream(events, source));
    assert.equal(rejected, false);
    assert.deepEqual(seen.map((event) => event.type), ['stream-start', 'text-delta', 'text-delta', 'error']);
    const last = seen.at(-1);
    assert.equal(last?.type === 'error' && last.error.code, 'SB_ERR_STREAM_INTERRUPTED');
  });

  it('turns a poll that throws into an error event, as a read that rejects, never an errored stream', async () => {
    const events: EventReader<StreamEvent> = {
      read: async () => ({ done: false, value: start }),
      poll: () => {
        throw new Error('socket reset');
      },
      cancel: async () => undefined,
    };
    const { events: seen, rejected } = await drain(guardStream(events, source));
    assert.equal(rejected, false, 'the caller reads an error event and the end, not a rejection');
    assert.deepEqual(seen.map((event) => event.type), ['stream-start', 'error']);
    const last = seen.at(-1);
    assert.equal(last?.type === 'error' && last.error.code, 'SB_ERR_STREAM_INTERRUPTED');
  });
});

describe('guardStream at the end of an answer', () => {
  it('stops reading at the finish and cancels the source as complete, whatever the upstream sends after it', async () => {
    let reads = 0;
    const cancels: unknown[] = [];
    const script: StreamEvent[] = [start, delta('a'), { type: 'finish', finishReason: 'stop' }];
    const events: EventReader<StreamEvent> = {
      // After the finish, an upstream that goes on (Anthropic pings after message_stop).
      read: async () => {
        reads += 1;
        return reads > 1_000 ? { done: true, value: undefined } : { done: false, value: script[reads - 1] ?? delta('more') };
      },
      cancel: async (reason) => void cancels.push(reason),
    };
    const { events: seen } = await drain(guardStream(events, source));
    assert.deepEqual(seen.map((event) => event.type), ['stream-start', 'text-delta', 'finish']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(reads, 3, 'events after the finish were read');
    assert.deepEqual(cancels, [answerComplete]);
  });

  it('reports an event over the decoder’s limit as SB_ERR_UPSTREAM_INVALID_RESPONSE naming the limit', async () => {
    let reads = 0;
    const events: EventReader<StreamEvent> = {
      read: async () => {
        reads += 1;
        if (reads === 1) return { done: false, value: start };
        throw new EventTooLongError(16 * 1024 * 1024);
      },
      cancel: async () => undefined,
    };
    const { events: seen } = await drain(guardStream(events, source));
    const last = seen.at(-1);
    assert.equal(last?.type, 'error');
    assert.equal(last?.type === 'error' && last.error.code, 'SB_ERR_UPSTREAM_INVALID_RESPONSE');
    assert.equal(last?.type === 'error' && last.error.message, 'Provider "p1" sent a stream event longer than 16 MiB, the limit; the stream was not read further');
  });
});
