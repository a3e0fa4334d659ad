import { GatewayError } from '../../core/errors.ts';
import type { EventReader, EventStream, ReadResult, StreamEvent } from '../../core/stream-event.ts';
import { PullReader, readerOf } from '../../streams/event-reader.ts';
import { upstreamError, type UpstreamSource } from './upstream-error.ts';

/**
 * Makes a provider's event stream end in exactly one terminal event. A transport failure or a
 * parse error becomes an `error` event; a stream that stops before its `finish` becomes an
 * `error` event too (SB_ERR_STREAM_INTERRUPTED), never a silent normal end. Cancelling the
 * result cancels the source, which closes the upstream connection. The result is a lean reader
 * (src/streams/event-reader.ts), which `streamChat` may return as it is (core EventStream).
 */
export function guardStream(events: EventStream, source: UpstreamSource): PullReader<StreamEvent> {
  const { provider } = source;
  const reader = readerOf(events);
  let ended = false;
  // The read's two outcomes, bound once per stream: a promise chained to each read rather than an
  // async function, which allocated a frame per event (src/streams/event-reader.ts, PullReader).
  let passed: (next: ReadResult<StreamEvent>) => void;
  let failed: (error: unknown) => void;
  return new PullReader<StreamEvent>({
    start(controller) {
      failed = (error) => {
        ended = true;
        controller.enqueue({ type: 'error', error: interruption(error, source) });
        controller.close();
      };
      passed = (next) => {
        try {
          if (next.done) {
            ended = true;
            controller.enqueue({
              type: 'error',
              error: new GatewayError('SB_ERR_STREAM_INTERRUPTED', `Provider "${provider}" ended the stream before it finished`, { provider }),
            });
            controller.close();
            return;
          }
          controller.enqueue(next.value);
          if (next.value.type === 'finish') {
            ended = true;
            controller.close();
            // Read what is left (usually nothing) so the connection goes back to the pool.
            void drain(reader);
          } else if (next.value.type === 'error') {
            ended = true;
            controller.close();
            reader.cancel().catch(() => undefined);
          }
        } catch (error) {
          failed(error);
        }
      };
    },
    pull() {
      if (ended) return;
      try {
        return reader.read().then(passed, failed);
      } catch (error) {
        failed(error);
      }
    },
    pullNow() {
      if (ended || !reader.poll) return false;
      let next: ReadResult<StreamEvent> | undefined;
      try {
        next = reader.poll();
      } catch (error) {
        // As a read that rejected: the stream ends with an error event, not errored.
        failed(error);
        return true;
      }
      if (next === undefined) return false;
      passed(next);
      return true;
    },
    async cancel(reason) {
      ended = true;
      await reader.cancel(reason).catch(() => undefined);
    },
  });
}

async function drain(reader: EventReader<StreamEvent>): Promise<void> {
  try {
    while (!(await reader.read()).done);
  } catch {
    // The answer is complete; a failure after it changes nothing.
  }
}

function interruption(error: unknown, source: UpstreamSource): GatewayError {
  if (GatewayError.isInstance(error)) {
    // A connection failure after the stream started is an interruption, not a connect error.
    if (error.code === 'SB_ERR_UPSTREAM_CONNECTION') {
      return new GatewayError('SB_ERR_STREAM_INTERRUPTED', error.message, { cause: error, provider: source.provider });
    }
    return error;
  }
  // JSON.parse's message quotes the provider's bytes, and may cut a secret too short to be
  // recognised: it is not repeated. No cause either way, since log lines print causes in full.
  if (error instanceof SyntaxError) {
    return new GatewayError('SB_ERR_STREAM_INTERRUPTED', `Provider "${source.provider}" sent a stream event that is not valid JSON`, { provider: source.provider });
  }
  const message = error instanceof Error ? error.message : String(error);
  return upstreamError('SB_ERR_STREAM_INTERRUPTED', source, `Stream from provider "${source.provider}" failed`, message);
}
