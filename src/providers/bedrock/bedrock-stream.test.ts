import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { EventStreamCodec, type MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { StreamEvent } from '../../core/stream-event.ts';
import { guardStream } from '../_shared/guard-stream.ts';
import { parseEventStream } from './event-stream.ts';
import { createConverseStreamTransform } from './stream.ts';
import { createRedactor } from '../_shared/redact-secrets.ts';
import type { UpstreamSource } from '../_shared/upstream-error.ts';

/** A provider's source with no configured secrets. */
const testSource = (provider: string): UpstreamSource => ({ provider, redact: createRedactor([]) });

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const stringHeaders = (headers: Record<string, string>): MessageHeaders =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, { type: 'string' as const, value }]));

/** A ConverseStream event frame exactly as Bedrock encodes it. */
function eventFrame(eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: stringHeaders({ ':event-type': eventType, ':content-type': 'application/json', ':message-type': 'event' }),
    body: fromUtf8(JSON.stringify(payload)),
  });
}

function exceptionFrame(exceptionType: string, message: string): Uint8Array {
  return codec.encode({
    headers: stringHeaders({ ':exception-type': exceptionType, ':content-type': 'application/json', ':message-type': 'exception' }),
    body: fromUtf8(JSON.stringify({ message })),
  });
}

async function fixtureBytes(name: string): Promise<Uint8Array> {
  const frames = JSON.parse(await readFile(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8')) as Array<{ eventType: string; payload: unknown }>;
  return Buffer.concat(frames.map((frame) => eventFrame(frame.eventType, frame.payload)));
}

/** Feeds the bytes in pieces of `size` (frames and their length prelude straddle reads) and collects the events. */
async function replay(bytes: Uint8Array, size: number): Promise<StreamEvent[]> {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += size) controller.enqueue(bytes.slice(offset, offset + size));
      controller.close();
    },
  });
  const events = guardStream(parseEventStream(body, 'aws').pipeThrough(createConverseStreamTransform({ source: testSource('aws'), id: 'req-1', model: 'claude' })), testSource('aws'));
  const collected: StreamEvent[] = [];
  for await (const event of events) collected.push(event.type === 'stream-start' ? { ...event, created: 0 } : event);
  return collected;
}

const start: StreamEvent = { type: 'stream-start', id: 'req-1', model: 'claude', created: 0, warnings: [] };

describe('bedrock ConverseStream decoding (event-stream bytes → StreamEvents)', () => {
  it('turns a text stream into text events and a finish with usage, whatever the read sizes', async () => {
    const bytes = await fixtureBytes('bedrock-stream-text.json');
    const expected: StreamEvent[] = [
      start,
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Hello' },
      { type: 'text-delta', id: 'text-0', delta: '! How can I' },
      { type: 'text-delta', id: 'text-0', delta: ' help you today?' },
      { type: 'text-end', id: 'text-0' },
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'end_turn', usage: { inputTokens: 9, outputTokens: 12 } },
    ];
    for (const size of [1, 3, 7, 64, bytes.length]) assert.deepStrictEqual(await replay(bytes, size), expected, `read size ${size}`);
  });

  it('streams reasoning with its signature, text with multi-byte characters, and tool input deltas', async () => {
    const events = await replay(await fixtureBytes('bedrock-stream-tool-use.json'), 5);
    const id = 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q';
    assert.deepStrictEqual(events, [
      start,
      { type: 'reasoning-start', id: 'reasoning-0' },
      { type: 'reasoning-delta', id: 'reasoning-0', delta: 'The user wants ' },
      { type: 'reasoning-delta', id: 'reasoning-0', delta: 'the weather.' },
      { type: 'reasoning-signature', id: 'reasoning-0', signature: 'ErUBCkYIBBgCIkDsig' },
      { type: 'reasoning-end', id: 'reasoning-0' },
      { type: 'text-start', id: 'text-1' },
      { type: 'text-delta', id: 'text-1', delta: "I'll look " },
      { type: 'text-delta', id: 'text-1', delta: 'that up — ☀️.' },
      { type: 'text-end', id: 'text-1' },
      { type: 'tool-input-start', id, toolName: 'get_weather' },
      { type: 'tool-input-delta', id, delta: '{"city": "Pa' },
      { type: 'tool-input-delta', id, delta: 'ris"}' },
      { type: 'tool-input-end', id },
      { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_use', usage: { inputTokens: 1036, outputTokens: 87, cachedInputTokens: 1024 } },
    ]);
  });

  it('gives a tool call without parameters the arguments {}', async () => {
    const bytes = Buffer.concat([
      eventFrame('messageStart', { role: 'assistant' }),
      eventFrame('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 'tooluse_1', name: 'now' } } }),
      eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
      eventFrame('messageStop', { stopReason: 'tool_use' }),
    ]);
    const events = await replay(bytes, 11);
    assert.deepStrictEqual(events.slice(1), [
      { type: 'tool-input-start', id: 'tooluse_1', toolName: 'now' },
      { type: 'tool-input-delta', id: 'tooluse_1', delta: '{}' },
      { type: 'tool-input-end', id: 'tooluse_1' },
      { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_use' },
    ]);
  });

  it('turns an exception frame mid-stream into an error event with the exception mapped (throttling is retryable)', async () => {
    const bytes = Buffer.concat([
      eventFrame('messageStart', { role: 'assistant' }),
      eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } }),
      exceptionFrame('throttlingException', 'Too many requests, please wait before trying again.'),
      eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'lo' } }),
    ]);
    const events = await replay(bytes, 9);
    assert.deepStrictEqual(events.slice(0, 3).map((event) => event.type), ['stream-start', 'text-start', 'text-delta']);
    const last = events.at(-1);
    assert.equal(events.length, 4);
    assert.ok(last?.type === 'error');
    assert.equal(last.error.code, 'SB_ERR_UPSTREAM_RATE_LIMITED');
    assert.equal(last.error.retryable, true);
    assert.match(last.error.message, /throttlingException: Too many requests/);

    const validation = await replay(exceptionFrame('validationException', 'Input is too long for requested model.'), 4);
    assert.ok(validation[1]?.type === 'error');
    assert.equal(validation[1].error.code, 'SB_ERR_CONTEXT_LENGTH');
  });

  it('reports a stream cut mid-frame, or ended before messageStop, as interrupted', async () => {
    const bytes = await fixtureBytes('bedrock-stream-text.json');
    for (const cut of [bytes.length - 10, 200]) {
      const events = await replay(bytes.slice(0, cut), 13);
      const last = events.at(-1);
      assert.ok(last?.type === 'error', `cut at ${cut}`);
      assert.equal(last.error.code, 'SB_ERR_STREAM_INTERRUPTED');
    }
  });

  it('rejects corrupt bytes as an invalid response instead of guessing', async () => {
    const frame = eventFrame('messageStart', { role: 'assistant' });
    frame[frame.length - 1] = frame.at(-1)! ^ 0xff;
    const events = await replay(frame, 3);
    assert.ok(events[0]?.type === 'error');
    assert.equal(events[0].error.code, 'SB_ERR_UPSTREAM_INVALID_RESPONSE');
  });

  it('ends a generation Bedrock reports as malformed with a retryable error event, not a finish', async () => {
    const bytes = Buffer.concat([
      eventFrame('messageStart', { role: 'assistant' }),
      eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } }),
      eventFrame('messageStop', { stopReason: 'malformed_model_output' }),
      eventFrame('metadata', { usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 } }),
    ]);
    const events = await replay(bytes, 5);
    // The text block is left open, as after any failure mid-stream: no text-end, no finish.
    assert.deepStrictEqual(
      events.map((event) => event.type),
      ['stream-start', 'text-start', 'text-delta', 'error'],
    );
    const last = events.at(-1);
    assert.ok(last?.type === 'error');
    assert.equal(last.error.code, 'SB_ERR_UPSTREAM_ERROR');
    assert.equal(last.error.retryable, true);
    // What Bedrock billed for the failed generation, from the metadata event after messageStop.
    assert.deepStrictEqual(last.usage, { inputTokens: 3, outputTokens: 1 });
  });

  it('leaves the usage out when the metadata event has none, so that the ledger counts instead of recording zeros', async () => {
    const stop = (reason: string) =>
      Buffer.concat([
        eventFrame('messageStart', { role: 'assistant' }),
        eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } }),
        eventFrame('messageStop', { stopReason: reason }),
        eventFrame('metadata', { metrics: { latencyMs: 5 } }),
      ]);
    const failed = (await replay(stop('malformed_tool_use'), 5)).at(-1);
    assert.ok(failed?.type === 'error' && !('usage' in failed));
    assert.deepStrictEqual((await replay(stop('end_turn'), 5)).at(-1), { type: 'finish', finishReason: 'stop', rawFinishReason: 'end_turn' });
  });

  it('finishes without usage when the metadata event never comes', async () => {
    const bytes = Buffer.concat([eventFrame('messageStart', { role: 'assistant' }), eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } }), eventFrame('messageStop', { stopReason: 'max_tokens' })]);
    assert.deepStrictEqual((await replay(bytes, 2)).at(-1), { type: 'finish', finishReason: 'length', rawFinishReason: 'max_tokens' });
  });
});
