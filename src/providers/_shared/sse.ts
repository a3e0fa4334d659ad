import { EventSourceParserStream } from 'eventsource-parser/stream';

/** One server-sent event: its name (when the format names events) and its data text. */
export interface SseMessage {
  event?: string;
  data: string;
}

/**
 * Decodes an SSE byte stream into messages as they arrive (UTF-8 split across chunks and lines
 * split across reads are reassembled by the decoder and the parser). Comment and keep-alive
 * lines are dropped by the parser.
 */
export function parseServerSentEvents(body: ReadableStream<Uint8Array>): ReadableStream<SseMessage> {
  return body
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream());
}
