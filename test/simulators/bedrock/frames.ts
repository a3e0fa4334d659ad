import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { tokenUsage, type SimulatedAnswer } from './answers.ts';

type Json = Record<string, unknown>;

/** One ConverseStream event before encoding. */
export interface StreamFrame {
  eventType: string;
  payload: Json;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

// Bedrock pads event payloads with a field `p` of varying length (so message sizes do not
// reveal token lengths); clients must ignore it.
const padding = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123';

/** An event frame as Bedrock sends it: `:event-type`, `:content-type`, `:message-type` event. */
export function encodeEvent(frame: StreamFrame, index = 0): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: frame.eventType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(JSON.stringify({ ...frame.payload, p: padding.slice(0, 1 + (index * 7) % padding.length) })),
  });
}

/** An exception frame (`:message-type` exception, `:exception-type` the member name, `{message}`). */
export function encodeException(exceptionType: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

/**
 * An answer as ConverseStream events, in Bedrock's order: messageStart; per block a
 * contentBlockStart (tool use only), deltas (text word by word, tool input in two halves,
 * reasoning text then its signature) and contentBlockStop; messageStop; metadata.
 */
export function answerFrames(result: SimulatedAnswer): StreamFrame[] {
  const frames: StreamFrame[] = [{ eventType: 'messageStart', payload: { role: 'assistant' } }];
  result.content.forEach((block, contentBlockIndex) => {
    const delta = (value: Json) => frames.push({ eventType: 'contentBlockDelta', payload: { contentBlockIndex, delta: value } });
    if (typeof block.text === 'string') {
      for (const word of block.text.match(/\S+\s*|\s+/g) ?? []) delta({ text: word });
    } else if (block.toolUse) {
      const toolUse = block.toolUse as { toolUseId: string; name: string; input: Json };
      frames.push({ eventType: 'contentBlockStart', payload: { contentBlockIndex, start: { toolUse: { toolUseId: toolUse.toolUseId, name: toolUse.name } } } });
      const input = JSON.stringify(toolUse.input);
      const half = Math.ceil(input.length / 2);
      for (const piece of [input.slice(0, half), input.slice(half)]) if (piece) delta({ toolUse: { input: piece } });
    } else if (block.reasoningContent) {
      const reasoning = (block.reasoningContent as { reasoningText: { text: string; signature: string } }).reasoningText;
      delta({ reasoningContent: { text: reasoning.text } });
      delta({ reasoningContent: { signature: reasoning.signature } });
    }
    frames.push({ eventType: 'contentBlockStop', payload: { contentBlockIndex } });
  });
  frames.push({ eventType: 'messageStop', payload: { stopReason: result.stopReason } });
  frames.push({
    eventType: 'metadata',
    payload: {
      usage: tokenUsage(result),
      metrics: { latencyMs: 42 },
    },
  });
  return frames;
}

/** Cuts bytes at odd places (1, 3, 7, 13, 29 bytes, repeating), so frames straddle writes. */
export function splitOddly(bytes: Uint8Array): Uint8Array[] {
  const sizes = [1, 3, 7, 13, 29];
  const pieces: Uint8Array[] = [];
  for (let offset = 0, turn = 0; offset < bytes.length; turn++) {
    const size = sizes[turn % sizes.length]!;
    pieces.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return pieces;
}
