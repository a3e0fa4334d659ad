import { GatewayError } from '../core/errors.ts';
import type { EventStream, StreamEvent } from '../core/stream-event.ts';
import { PullReader, readerOf } from './event-reader.ts';
import type { SharedSignal } from './shared-signal.ts';

/**
 * Passes a stream's events through until `signal` aborts, then ends it with an `error` event
 * carrying the signal's reason (a GatewayError) and cancels the source, so the upstream call is
 * closed too. The SIGTERM drain uses it to end streams still open at its deadline the way any
 * failed stream ends: an error event the caller can read, a ledger row with the error, never a
 * normal finish and never a connection cut with no word (issue 13, defect 4). The subscription
 * ends however the stream ends (finished, failed, or cancelled by the caller), so the long-lived
 * signal does not collect one per stream served.
 */
export function endOnSignal(source: EventStream, signal: SharedSignal): PullReader<StreamEvent> {
  const reader = readerOf(source);
  /** Set once the signal ended the stream: whatever the source still says is dropped. */
  let ended = false;
  let unsubscribe: (() => void) | undefined;
  const release = () => {
    unsubscribe?.();
    unsubscribe = undefined;
  };
  return new PullReader<StreamEvent>({
    start(controller) {
      const onAbort = () => {
        release();
        ended = true;
        const reason: unknown = signal.reason;
        const error = GatewayError.isInstance(reason) ? reason : new GatewayError('SB_ERR_UNAVAILABLE', 'The stream was ended by the gateway.');
        controller.enqueue({ type: 'error', error });
        controller.close();
        reader.cancel(error).catch(() => undefined);
      };
      if (signal.aborted) onAbort();
      else unsubscribe = signal.subscribe(onAbort);
    },
    async pull(controller) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (error) {
        if (ended) return;
        release();
        controller.error(error);
        return;
      }
      if (ended) return;
      if (next.done) {
        release();
        controller.close();
        return;
      }
      controller.enqueue(next.value);
      if (next.value.type === 'finish' || next.value.type === 'error') release();
    },
    cancel(reason) {
      release();
      return reader.cancel(reason);
    },
  });
}
