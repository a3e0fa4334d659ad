import type { Transformer } from 'node:stream/web';
import { StringDecoder } from 'node:string_decoder';
import { createParser, type ParseError } from 'eventsource-parser';
import type { EventReader } from '../../core/stream-event.ts';
import { iterableSource, transformReader } from '../../streams/event-reader.ts';
import { fuse } from '../../streams/fuse.ts';

/** One server-sent event: its name (when the format names events) and its data text. */
export interface SseMessage {
  event?: string;
  data: string;
}

/**
 * The longest event (or line) read, in characters: its text is held until it ends, and one that
 * never ends (a `data:` line without its newline) would take the process's memory. Events are a
 * few hundred bytes; a base64 image in a tool result is a few MB.
 */
export const maxEventLength = 16 * 1024 * 1024;

/** An event (or a line) longer than the decoder's limit: the stream is not read further. */
export class EventTooLongError extends Error {
  readonly limit: number;

  constructor(limit: number) {
    super(`A stream event went past the limit of ${limit} characters`);
    this.name = 'EventTooLongError';
    this.limit = limit;
  }
}

/**
 * Bytes → SSE messages → a provider's events (its chunk transformer), with `then` after it (e.g.
 * warnings), fused into one stage (src/streams/fuse.ts) read by a lean reader
 * (src/streams/event-reader.ts): every stage of its own, or a web stream, would cost a promise
 * turn per chunk and more. `limit`: the longest event, `maxEventLength` unless a test asks less.
 */
export function decodeServerSentEvents<T>(body: AsyncIterable<Uint8Array>, events: Transformer<SseMessage, T>, then?: Transformer<T, T>, limit = maxEventLength): EventReader<T> {
  const decoder = sseDecoder(limit);
  return transformReader(iterableSource(body), then ? fuse(decoder, events, then) : fuse(decoder, events));
}

/**
 * Bytes → SSE messages as they arrive: UTF-8 sequences split across chunks are held by the
 * decoder, lines split across reads by the parser (eventsource-parser), and comment/keep-alive
 * lines are dropped. A leading byte-order mark is dropped, as the SSE spec says (WHATWG HTML,
 * "Parsing an event stream") and TextDecoder did: Node's StringDecoder decodes the same UTF-8
 * (invalid bytes as U+FFFD) and costs a third as much per stream on Node 20, where building a
 * TextDecoder opens an ICU converter (1.7 against 5.2 µs for a 12-chunk answer).
 *
 * An event (or a line) that goes past `limit` characters ends the stream with EventTooLongError
 * (the parser's own `maxBufferSize`: a length check per chunk), which cancels the upstream body;
 * guardStream reports it as SB_ERR_UPSTREAM_INVALID_RESPONSE.
 */
export function sseDecoder(limit = maxEventLength): Transformer<Uint8Array, SseMessage> {
  const decoder = new StringDecoder('utf8');
  let started = false;
  let output: TransformStreamDefaultController<SseMessage> | undefined;
  const parser = createParser({
    onEvent(event) {
      output?.enqueue(event.event === undefined ? { data: event.data } : { event: event.event, data: event.data });
    },
    // The parser has dropped what it held; thrown from feed(), this errors the stream. Other
    // parse errors (an unknown field) are ignored, as the SSE spec says.
    onError(error: ParseError) {
      if (error.type === 'max-buffer-size-exceeded') throw new EventTooLongError(limit);
    },
    maxBufferSize: limit,
  });
  const feed = (text: string) => {
    if (!started && text !== '') {
      started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    parser.feed(text);
  };
  return {
    transform(chunk, controller) {
      output = controller;
      feed(decoder.write(chunk));
    },
    flush(controller) {
      output = controller;
      // A last event without its blank line (Gemini ends streams without a terminator) still counts.
      feed(`${decoder.end()}\n\n`);
    },
  };
}
