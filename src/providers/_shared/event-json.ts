import type { StreamEvent } from '../../core/stream-event.ts';

/** Parses one stream event's JSON; undefined for an event to skip. */
export type EventJsonReader = <T>(data: string, controller: TransformStreamDefaultController<StreamEvent>) => T | undefined;

/**
 * A stream's event parser that skips an event whose data is not valid JSON instead of ending
 * the stream there: one garbled event must not cost the rest of an answer that goes on after it
 * (issue 14; the providers' SDK clients read past it too). The first skip of a stream puts a
 * warning in the ledger; the message names no bytes of the event, which may quote a secret.
 */
export function createEventJsonReader(provider: string): EventJsonReader {
  let warned = false;
  return <T>(data: string, controller: TransformStreamDefaultController<StreamEvent>): T | undefined => {
    try {
      return JSON.parse(data) as T;
    } catch {
      if (!warned) {
        warned = true;
        controller.enqueue({ type: 'warning', warning: { type: 'other', message: `Provider "${provider}" sent a stream event that is not valid JSON; it was skipped` } });
      }
      return undefined;
    }
  };
}
