import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../core/errors.ts';
import type { StreamEvent } from '../core/stream-event.ts';
import { endOnSignal } from './end-on-signal.ts';
import { SharedSignal } from './shared-signal.ts';
import { readAll } from '../../test/helpers/events.ts';

/** A source that yields one delta and then waits forever, like a stalled upstream; records its cancel. */
function hangingSource(): { stream: ReadableStream<StreamEvent>; cancelled: () => unknown } {
  let reason: unknown;
  let sent = false;
  const stream = new ReadableStream<StreamEvent>({
    pull(controller) {
      if (sent) return new Promise<void>(() => undefined);
      sent = true;
      controller.enqueue({ type: 'text-delta', id: 't', delta: 'Hel' });
      return undefined;
    },
    cancel(why) {
      reason = why;
    },
  });
  return { stream, cancelled: () => reason };
}

describe('endOnSignal', () => {
  it('ends an open stream with an error event carrying the reason, and cancels the source', async () => {
    const controller = new AbortController();
    const source = hangingSource();
    const reading = readAll(endOnSignal(source.stream, new SharedSignal(controller.signal)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new GatewayError('SB_ERR_UNAVAILABLE', 'shutting down'));
    const events = await reading;
    assert.deepEqual(events.map((event) => event.type), ['text-delta', 'error']);
    const last = events.at(-1) as Extract<StreamEvent, { type: 'error' }>;
    assert.equal(last.error.code, 'SB_ERR_UNAVAILABLE');
    assert.ok(GatewayError.isInstance(source.cancelled()), 'the upstream source was cancelled');
  });

  it('passes a stream that finishes through unchanged and stops listening', async () => {
    const controller = new AbortController();
    const events: StreamEvent[] = [
      { type: 'text-delta', id: 't', delta: 'Hi' },
      { type: 'finish', finishReason: 'stop' },
    ];
    const source = new ReadableStream<StreamEvent>({
      start(sourceController) {
        for (const event of events) sourceController.enqueue(event);
        sourceController.close();
      },
    });
    const shared = new SharedSignal(controller.signal);
    assert.deepEqual(await readAll(endOnSignal(source, shared)), events);
    assert.equal(shared.listeners, 0);
    controller.abort(new GatewayError('SB_ERR_UNAVAILABLE', 'late'));
  });

  it('unsubscribes when the caller cancels the stream', async () => {
    const shared = new SharedSignal(new AbortController().signal);
    const reader = endOnSignal(hangingSource().stream, shared);
    await reader.read();
    assert.equal(shared.listeners, 1);
    await reader.cancel('client left');
    assert.equal(shared.listeners, 0);
  });
});
