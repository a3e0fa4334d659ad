import type { EventStreamCodec, Message, MessageHeaders } from '@smithy/eventstream-codec';
import { GatewayError } from '../../core/errors.ts';

/** One decoded `application/vnd.amazon.eventstream` message of a ConverseStream answer. */
export interface StreamMessage {
  /** `:message-type`: `event`, `exception` (a modelled error), or `error` (an unmodelled one). */
  messageType: string;
  /** `:event-type` of events (`messageStart`, `contentBlockDelta`, ...). */
  eventType?: string;
  /** `:exception-type` of exceptions (`throttlingException`, ...), or `:error-code` of errors. */
  errorType?: string;
  /** `:error-message` of unmodelled errors. */
  errorMessage?: string;
  /** The JSON payload, parsed (`{}` when empty). */
  payload: unknown;
}

// A message: total length (4 bytes), headers length (4), prelude CRC (4), headers, payload, CRC (4)
// (https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html, "Event stream encoding").
const minimumMessageLength = 16;
// Converse events are small; a length beyond 16 MB means a corrupt stream, not a large event.
const maximumMessageLength = 16 * 1024 * 1024;

/**
 * Cuts a byte stream into whole event-stream messages as bytes arrive: a message split across
 * reads is buffered until its total length (the first four bytes) is in. Bytes left over when the
 * body ends are a cut stream: an error, even after `messageStop`.
 */
export function createMessageSplitter(provider: string): TransformStream<Uint8Array, Uint8Array> {
  const pending: Uint8Array[] = [];
  let pendingLength = 0;
  const take = (length: number): Uint8Array => {
    const message = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const chunk = pending[0]!;
      const needed = length - filled;
      if (chunk.length <= needed) {
        message.set(chunk, filled);
        filled += chunk.length;
        pending.shift();
      } else {
        message.set(chunk.subarray(0, needed), filled);
        pending[0] = chunk.subarray(needed);
        filled = length;
      }
    }
    pendingLength -= length;
    return message;
  };
  // The total length, read across chunks without consuming them (the prelude may be split too).
  const peekLength = (): number => {
    const head = new Uint8Array(4);
    let filled = 0;
    for (const chunk of pending) {
      const count = Math.min(4 - filled, chunk.length);
      head.set(chunk.subarray(0, count), filled);
      filled += count;
      if (filled === 4) break;
    }
    return new DataView(head.buffer).getUint32(0);
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (chunk.length === 0) return;
      pending.push(chunk);
      pendingLength += chunk.length;
      while (pendingLength >= 4) {
        const length = peekLength();
        if (length < minimumMessageLength || length > maximumMessageLength) {
          throw new GatewayError('SB_ERR_UPSTREAM_INVALID_RESPONSE', `Provider "${provider}" sent an event-stream message of impossible length ${length}`, { provider });
        }
        if (pendingLength < length) return;
        controller.enqueue(take(length));
      }
    },
    flush() {
      if (pendingLength > 0) {
        throw new GatewayError('SB_ERR_STREAM_INTERRUPTED', `Provider "${provider}" ended the stream in the middle of an event`, { provider });
      }
    },
  });
}

/**
 * Decodes whole messages (CRCs checked by the AWS codec) and parses their JSON payloads. The
 * codec's libraries are loaded by the first stream that needs them (`start` runs before any
 * chunk), not when the module is: see `createSigner` in connection.ts.
 */
export function createMessageDecoder(provider: string): TransformStream<Uint8Array, StreamMessage> {
  let codec: EventStreamCodec;
  let toUtf8: (bytes: Uint8Array) => string;
  return new TransformStream<Uint8Array, StreamMessage>({
    async start() {
      const [codecModule, utf8] = await Promise.all([import('@smithy/eventstream-codec'), import('@smithy/util-utf8')]);
      codec = new codecModule.EventStreamCodec(utf8.toUtf8, utf8.fromUtf8);
      toUtf8 = utf8.toUtf8;
    },
    transform(bytes, controller) {
      let message: Message;
      try {
        message = codec.decode(bytes);
      } catch (error) {
        throw new GatewayError('SB_ERR_UPSTREAM_INVALID_RESPONSE', `Provider "${provider}" sent a corrupt event-stream message (${(error as Error).message})`, { cause: error, provider });
      }
      const text = toUtf8(message.body);
      let payload: unknown = {};
      if (text.trim() !== '') {
        try {
          payload = JSON.parse(text);
        } catch {
          // No cause: JSON.parse's message quotes the provider's bytes, and log lines print causes.
          throw new GatewayError('SB_ERR_UPSTREAM_INVALID_RESPONSE', `Provider "${provider}" sent a stream event that is not valid JSON`, { provider });
        }
      }
      const messageType = header(message.headers, ':message-type') ?? 'event';
      const eventType = header(message.headers, ':event-type');
      const errorType = header(message.headers, ':exception-type') ?? header(message.headers, ':error-code');
      const errorMessage = header(message.headers, ':error-message');
      controller.enqueue({
        messageType,
        ...(eventType !== undefined ? { eventType } : {}),
        ...(errorType !== undefined ? { errorType } : {}),
        ...(errorMessage !== undefined ? { errorMessage } : {}),
        payload,
      });
    },
  });
}

function header(headers: MessageHeaders, name: string): string | undefined {
  const value = headers[name];
  return value?.type === 'string' ? value.value : undefined;
}

/** A ConverseStream body → its messages, decoded as they arrive. */
export function parseEventStream(body: AsyncIterable<Uint8Array>, provider: string): ReadableStream<StreamMessage> {
  // Web streams here: the decoder loads its codec in an async start(), which a fused stage cannot wait for.
  return ReadableStream.from(body).pipeThrough(createMessageSplitter(provider)).pipeThrough(createMessageDecoder(provider));
}
