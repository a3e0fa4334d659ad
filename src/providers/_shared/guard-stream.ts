import { GatewayError } from '../../core/errors.ts';
import type { StreamEvent } from '../../core/stream-event.ts';

/**
 * Makes a provider's event stream end in exactly one terminal event. A transport failure or a
 * parse error becomes an `error` event; a stream that stops before its `finish` becomes an
 * `error` event too (SB_ERR_STREAM_INTERRUPTED), never a silent normal end. Cancelling the
 * result cancels the source, which closes the upstream connection.
 */
export function guardStream(source: ReadableStream<StreamEvent>, provider: string): ReadableStream<StreamEvent> {
  const reader = source.getReader();
  let ended = false;
  return new ReadableStream<StreamEvent>(
    {
      async pull(controller) {
        if (ended) return;
        try {
          const next = await reader.read();
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
          ended = true;
          controller.enqueue({ type: 'error', error: interruption(error, provider) });
          controller.close();
        }
      },
      async cancel(reason) {
        ended = true;
        await reader.cancel(reason).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

async function drain(reader: ReadableStreamDefaultReader<StreamEvent>): Promise<void> {
  try {
    while (!(await reader.read()).done);
  } catch {
    // The answer is complete; a failure after it changes nothing.
  }
}

function interruption(error: unknown, provider: string): GatewayError {
  if (GatewayError.isInstance(error)) {
    // A connection failure after the stream started is an interruption, not a connect error.
    if (error.code === 'SB_ERR_UPSTREAM_CONNECTION') {
      return new GatewayError('SB_ERR_STREAM_INTERRUPTED', error.message, { cause: error, provider });
    }
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError('SB_ERR_STREAM_INTERRUPTED', `Stream from provider "${provider}" failed: ${message}`, { cause: error, provider });
}
