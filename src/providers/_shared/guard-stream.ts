import { GatewayError } from '../../core/errors.ts';
import { answerComplete } from '../../core/http-client.ts';
import type { EventStream, ReadResult, StreamEvent } from '../../core/stream-event.ts';
import { PullReader, readerOf } from '../../streams/event-reader.ts';
import { EventTooLongError } from './sse.ts';
import { upstreamError, type UpstreamSource } from './upstream-error.ts';
import { sizeText } from '../../text/size-text.ts';

/**
 * Makes a provider's event stream end in exactly one terminal event. A transport failure or a
 * parse error becomes an `error` event; a stream that stops before its `finish` becomes an
 * `error` event too (SB_ERR_STREAM_INTERRUPTED), never a silent normal end. Cancelling the
 * result cancels the source, which closes the upstream connection. The result is a lean reader
 * (src/streams/event-reader.ts), which `streamChat` may return as it is (core EventStream).
 *
 * The `finish` event ends the answer at once, whatever the upstream does after it: the source is
 * cancelled with `answerComplete`, so nothing after the finish is read (an upstream that goes on
 * sending, pings after Anthropic's `message_stop`, or leaves the body open after OpenAI's
 * `[DONE]`). The body's end, usually in already or in the next packet, still returns the
 * connection to the pool; past a little more data, or a short wait, it is closed
 * (src/upstream/upstream-call.ts).
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
            reader.cancel(answerComplete).catch(() => undefined);
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

function interruption(error: unknown, source: UpstreamSource): GatewayError {
  if (GatewayError.isInstance(error)) {
    // A connection failure after the stream started is an interruption, not a connect error.
    if (error.code === 'SB_ERR_UPSTREAM_CONNECTION') {
      return new GatewayError('SB_ERR_STREAM_INTERRUPTED', error.message, { cause: error, provider: source.provider });
    }
    return error;
  }
  if (error instanceof EventTooLongError) {
    return new GatewayError('SB_ERR_UPSTREAM_INVALID_RESPONSE', `Provider "${source.provider}" sent a stream event longer than ${sizeText(error.limit, 'characters')}, the limit; the stream was not read further`, {
      provider: source.provider,
    });
  }
  // JSON.parse's message quotes the provider's bytes, and may cut a secret too short to be
  // recognised: it is not repeated. No cause either way, since log lines print causes in full.
  if (error instanceof SyntaxError) {
    return new GatewayError('SB_ERR_STREAM_INTERRUPTED', `Provider "${source.provider}" sent a stream event that is not valid JSON`, { provider: source.provider });
  }
  const message = error instanceof Error ? error.message : String(error);
  return upstreamError('SB_ERR_STREAM_INTERRUPTED', source, `Stream from provider "${source.provider}" failed`, message);
}
