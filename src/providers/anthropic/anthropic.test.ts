import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { StreamEvent } from '../../core/stream-event.ts';
import { guardStream } from '../_shared/guard-stream.ts';
import { decodeServerSentEvents } from '../_shared/sse.ts';
import { convertResponse } from './convert-response.ts';
import { convertUsage, mergeUsage } from './convert-usage.ts';
import { mapStopReason } from './map-stop-reason.ts';
import { messageStreamTransformer } from './stream.ts';
import type { AnthropicMessage } from './wire-types.ts';
import { createRedactor } from '../_shared/redact-secrets.ts';
import type { UpstreamSource } from '../_shared/upstream-error.ts';

/** A provider's source with no configured secrets. */
const testSource = (provider: string): UpstreamSource => ({ provider, redact: createRedactor([]) });

/**
 * Fixtures are verbatim copies of ../shared/specs/anthropic/examples. The docs examples were
 * copied out of code blocks and lost the blank line that ends the last event (an SSE parser
 * rightly drops an unterminated event), so it is restored here.
 */
async function fixture(name: string): Promise<string> {
  const text = await readFile(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
  return name.endsWith('.sse') && !text.endsWith('\n\n') ? `${text}\n` : text;
}

/** Replays SSE text, split into small byte chunks (mid-line, mid-UTF-8), through the adapter's stream. */
async function replay(text: string, passthrough = false, chunkSize = 7): Promise<StreamEvent[]> {
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += chunkSize) controller.enqueue(bytes.subarray(offset, offset + chunkSize));
      controller.close();
    },
  });
  const events = guardStream(
    decodeServerSentEvents(body, messageStreamTransformer({ source: testSource('claude'), requestedModel: 'claude-requested', passthrough })),
    testSource('claude'),
  );
  const collected: StreamEvent[] = [];
  for await (const event of events) collected.push(event.type === 'stream-start' ? { ...event, created: 0 } : event);
  return collected;
}

/** The `event:`/`data:` pairs of a recorded stream, in order. */
function wireEvents(text: string): Array<{ event: string; data: string }> {
  return text
    .split(/\n\n+/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      return { event: lines.find((line) => line.startsWith('event: '))!.slice(7), data: lines.find((line) => line.startsWith('data: '))!.slice(6) };
    });
}

describe('anthropic stream (fixture replay)', () => {
  it('turns the SDK text stream into exactly these events', async () => {
    const events = await replay(await fixture('anthropic-stream-text.sse'));
    assert.deepStrictEqual(events, [
      // message_start's usage: the prompt's counts, billed even if the stream never finishes.
      { type: 'stream-start', id: 'msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK', model: 'claude-opus-4-8', created: 0, warnings: [], inputUsage: { inputTokens: 11, outputTokens: 1 } },
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Hello' },
      { type: 'text-delta', id: 'text-0', delta: ' there' },
      { type: 'text-delta', id: 'text-0', delta: '!' },
      { type: 'text-end', id: 'text-0' },
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'end_turn', usage: { inputTokens: 11, outputTokens: 6 } },
    ]);
  });

  it('turns the SDK tool-use stream into text, then one tool call with its id and argument fragments', async () => {
    const events = await replay(await fixture('anthropic-stream-tool-use.sse'), false, 3);
    const id = 'toolu_01NRLabsLyVHZPKxbKvkfSMn';
    assert.deepStrictEqual(events.slice(4), [
      { type: 'text-end', id: 'text-0' },
      { type: 'tool-input-start', id, toolName: 'get_weather' },
      { type: 'tool-input-delta', id, delta: '{"locati' },
      { type: 'tool-input-delta', id, delta: 'on": "P' },
      { type: 'tool-input-delta', id, delta: 'ar' },
      { type: 'tool-input-delta', id, delta: 'is"}' },
      { type: 'tool-input-end', id },
      { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_use', usage: { inputTokens: 377, outputTokens: 65 } },
    ]);
  });

  it('reassembles the docs tool-use stream\'s arguments into valid JSON', async () => {
    const events = await replay(await fixture('anthropic-stream-tool-use-docs.sse'), false, 1);
    const args = events.flatMap((event) => (event.type === 'tool-input-delta' ? [event.delta] : [])).join('');
    assert.deepStrictEqual(JSON.parse(args), { location: 'San Francisco, CA', unit: 'fahrenheit' });
    const text = events.flatMap((event) => (event.type === 'text-delta' ? [event.delta] : [])).join('');
    assert.equal(text, "Okay, let's check the weather for San Francisco, CA:");
    assert.deepStrictEqual(events.at(-1), { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_use', usage: { inputTokens: 472, outputTokens: 89 } });
  });

  it('turns extended thinking into reasoning events with the signature, and finishes without usage when none was sent', async () => {
    const events = await replay(await fixture('anthropic-stream-extended-thinking.sse'));
    const reasoning = events.flatMap((event) => (event.type === 'reasoning-delta' ? [event.delta] : [])).join('');
    assert.ok(reasoning.startsWith('Let me solve this step by step') && reasoning.endsWith('= 12,231'));
    assert.deepStrictEqual(
      events.filter((event) => !event.type.endsWith('-delta')),
      [
        { type: 'stream-start', id: 'msg_01...', model: 'claude-opus-4-1-20250805', created: 0, warnings: [] },
        { type: 'reasoning-start', id: 'reasoning-0' },
        { type: 'reasoning-signature', id: 'reasoning-0', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...' },
        { type: 'reasoning-end', id: 'reasoning-0' },
        { type: 'text-start', id: 'text-1' },
        { type: 'text-end', id: 'text-1' },
        { type: 'finish', finishReason: 'stop', rawFinishReason: 'end_turn' },
      ],
    );
  });

  it('turns an error event on its own into stream-start then a retryable error (overloaded_error)', async () => {
    const events = await replay(await fixture('anthropic-stream-error-event.sse'));
    assert.equal(events.length, 2);
    assert.deepStrictEqual(events[0], { type: 'stream-start', id: (events[0] as { id: string }).id, model: 'claude-requested', created: 0, warnings: [] });
    const last = events[1];
    assert.equal(last?.type, 'error');
    assert.equal(last.type === 'error' && last.error.code, 'SB_ERR_UPSTREAM_UNAVAILABLE');
    assert.equal(last.type === 'error' && last.error.retryable, true);
    assert.equal(last.type === 'error' && last.error.message, 'Provider "claude" reported an error (overloaded_error): Overloaded');
  });

  it('ends a stream with the error event that arrives mid-answer, not with a finish', async () => {
    const text = await fixture('anthropic-stream-text.sse');
    const partial = text.split('\n\n').slice(0, 4).join('\n\n') + '\n\n' + (await fixture('anthropic-stream-error-event.sse'));
    const events = await replay(partial);
    assert.deepStrictEqual(events.map((event) => event.type), ['stream-start', 'text-start', 'text-delta', 'error']);
    assert.equal(events.some((event) => event.type === 'finish'), false);
  });

  it('reports a stream that stops before message_stop as an interruption', async () => {
    const text = await fixture('anthropic-stream-text.sse');
    const events = await replay(text.split('\n\n').slice(0, 7).join('\n\n') + '\n\n');
    const last = events.at(-1);
    assert.equal(last?.type === 'error' && last.error.code, 'SB_ERR_STREAM_INTERRUPTED');
  });

  it('passes every upstream event through verbatim (name and data) besides the typed events', async () => {
    for (const name of ['anthropic-stream-text-docs.sse', 'anthropic-stream-tool-use.sse', 'anthropic-stream-extended-thinking.sse']) {
      const text = await fixture(name);
      const events = await replay(text, true, 5);
      assert.equal(events[0]?.type === 'stream-start' && events[0].nativeFormat, 'anthropic-messages');
      const native = events.flatMap((event) => (event.type === 'native-chunk' ? [{ event: event.event, data: event.data }] : []));
      assert.deepStrictEqual(native, wireEvents(text), name);
      assert.equal(events.at(-1)?.type, 'finish');
    }
  });

  it('keeps a ping that precedes message_start until stream-start has gone out', async () => {
    const text = 'event: ping\ndata: {"type": "ping"}\n\n' + (await fixture('anthropic-stream-text.sse'));
    const events = await replay(text, true);
    assert.deepStrictEqual(events.slice(0, 3).map((event) => (event.type === 'native-chunk' ? `native:${event.event}` : event.type)), [
      'stream-start',
      'native:ping',
      'native:message_start',
    ]);
  });

  it('gives a tool call that streams no argument text the arguments "{}", and merges usage from message_delta', async () => {
    const text = [
      ['message_start', { type: 'message_start', message: { id: 'msg_1', model: 'claude-x', usage: { input_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20, output_tokens: 1 } } }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_a', name: 'now', input: {} } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9, cache_read_input_tokens: 100, input_tokens: null } }],
      ['message_stop', { type: 'message_stop' }],
    ]
      .map(([event, data]) => `event: ${event as string}\ndata: ${JSON.stringify(data)}\n\n`)
      .join('');
    const events = await replay(text);
    assert.deepStrictEqual(events.slice(1), [
      { type: 'tool-input-start', id: 'toolu_a', toolName: 'now' },
      { type: 'tool-input-delta', id: 'toolu_a', delta: '{}' },
      { type: 'tool-input-end', id: 'toolu_a' },
      { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_use', usage: { inputTokens: 125, outputTokens: 9, cachedInputTokens: 100, cacheWriteTokens: 20 } },
    ]);
  });
});

describe('anthropic stream: redacted thinking and the stop sequence', () => {
  it('carries a redacted block’s data and the stop sequence that matched', async () => {
    const text = [
      ['message_start', { type: 'message_start', message: { id: 'msg_1', model: 'claude-x', usage: { input_tokens: 5, output_tokens: 1 } } }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'redacted_thinking', data: 'opaque' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'stop_sequence', stop_sequence: 'END' }, usage: { output_tokens: 9 } }],
      ['message_stop', { type: 'message_stop' }],
    ]
      .map(([event, data]) => `event: ${event as string}\ndata: ${JSON.stringify(data)}\n\n`)
      .join('');
    const events = await replay(text);
    const id = (events[1] as { id: string }).id;
    assert.deepStrictEqual(events.slice(1), [
      { type: 'reasoning-start', id },
      { type: 'reasoning-redacted', id, data: 'opaque' },
      { type: 'reasoning-end', id },
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'stop_sequence', stopSequence: 'END', usage: { inputTokens: 5, outputTokens: 9 } },
    ]);
    const plain = convertResponse({ id: 'msg_2', model: 'claude-x', content: [], stop_reason: 'stop_sequence', stop_sequence: 'END', usage: { input_tokens: 1, output_tokens: 1 } }, 'claude-x');
    assert.equal(plain.stopSequence, 'END');
  });
});

describe('anthropic response conversion', () => {
  it('turns the spec\'s Message example into exactly this result', async () => {
    const body = JSON.parse(await fixture('anthropic-message-text.json')) as AnthropicMessage;
    const result = convertResponse(body, 'claude-requested');
    assert.deepStrictEqual({ ...result, created: 0 }, {
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      model: 'claude-opus-4-6',
      created: 0,
      content: [{ type: 'text', text: 'Hi! My name is Claude.' }],
      finishReason: 'stop',
      rawFinishReason: 'end_turn',
      usage: { inputTokens: 2095, outputTokens: 503 },
      warnings: [],
    });
  });

  it('keeps thinking, redacted thinking, text and tool calls in order, sums cached input, and names blocks it cannot carry', () => {
    const result = convertResponse(
      {
        id: 'msg_2',
        model: 'claude-x',
        content: [
          { type: 'thinking', thinking: 'Let me see.', signature: 'sig-1' },
          { type: 'redacted_thinking', data: 'opaque' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'web_search_tool_result' },
        ],
        stop_reason: 'tool_use',
        usage: { input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 1000, cache_creation_input_tokens: 50 },
      },
      'claude-requested',
    );
    assert.deepStrictEqual(result.content, [
      { type: 'reasoning', text: 'Let me see.', signature: 'sig-1' },
      { type: 'reasoning', text: '', redacted: 'opaque' },
      { type: 'text', text: 'Checking.' },
      { type: 'tool-call', id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
    ]);
    assert.equal(result.finishReason, 'tool-calls');
    assert.deepStrictEqual(result.usage, { inputTokens: 1060, outputTokens: 20, cachedInputTokens: 1000, cacheWriteTokens: 50 });
    assert.deepStrictEqual(result.warnings.map((warning) => warning.setting), ['content']);
  });

  it('maps every stop reason, keeping unknown ones as other', () => {
    const table = {
      end_turn: 'stop',
      stop_sequence: 'stop',
      max_tokens: 'length',
      model_context_window_exceeded: 'length',
      tool_use: 'tool-calls',
      refusal: 'content-filter',
      pause_turn: 'other',
      some_future_reason: 'other',
    };
    for (const [raw, unified] of Object.entries(table)) assert.equal(mapStopReason(raw), unified, raw);
    assert.equal(mapStopReason(null), 'other');
  });
});

describe('anthropic usage: cache writes by lifetime', () => {
  it('reads the 1-hour part of the cache writes (openapi.json CacheCreation), and keeps it from message_start through message_delta', () => {
    const start = { input_tokens: 100, output_tokens: 1, cache_read_input_tokens: 400, cache_creation_input_tokens: 500, cache_creation: { ephemeral_5m_input_tokens: 200, ephemeral_1h_input_tokens: 300 } };
    const expected = { inputTokens: 1_000, outputTokens: 1, cachedInputTokens: 400, cacheWriteTokens: 500, cacheWrite1hTokens: 300 };
    assert.deepStrictEqual(convertUsage(start), expected);
    // message_delta (MessageDeltaUsage) has no cache_creation: the split from message_start stays.
    assert.deepStrictEqual(convertUsage(mergeUsage(start, { output_tokens: 30 })), { ...expected, outputTokens: 30 });
    assert.deepStrictEqual(convertUsage({ input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: 5 }), { inputTokens: 15, outputTokens: 1, cacheWriteTokens: 5 });
  });
});
