import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.ts';
import type { StreamEvent } from '../../core/stream-event.ts';
import { anthropicStreamFormatter } from './format-messages-stream.ts';

/** Runs events through the formatter and returns the SSE text written. */
async function format(events: StreamEvent[], stops?: string[]): Promise<string> {
  const source = new ReadableStream<StreamEvent>({
    start(controller) {
      for (const event of events) controller.enqueue(event);
      controller.close();
    },
  });
  let text = '';
  for await (const piece of source.pipeThrough(new TransformStream(anthropicStreamFormatter(stops)))) text += piece;
  return text;
}

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** SSE text → events, as the SDK reads them (`ping` is skipped, as the SDK skips it). */
function parseSse(text: string): SseEvent[] {
  return text
    .split(/\n\n+/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as Record<string, unknown>;
      return { event, data };
    })
    .filter((event) => event.event !== 'ping');
}

/** A recorded example from ../shared/specs/anthropic/examples, copied into __fixtures__ as anthropic-<name>. */
const specExample = async (name: string) => parseSse(await readFile(new URL(`./__fixtures__/anthropic-${name}`, import.meta.url), 'utf8'));

const start = (id = 'msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK', model = 'claude-opus-4-8'): StreamEvent => ({ type: 'stream-start', id, model, created: 1, warnings: [] });

describe('anthropicStreamFormatter: StreamEvents → Anthropic SSE', () => {
  it('writes a text stream exactly', async () => {
    const text = await format([
      start('chatcmpl-1', 'gpt-4o-mini'),
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Hello' },
      { type: 'text-delta', id: 'text-0', delta: ' there!' },
      { type: 'text-end', id: 'text-0' },
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'stop', usage: { inputTokens: 11, outputTokens: 6 } },
    ]);
    assert.equal(
      text,
      [
        'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_chatcmpl-1","type":"message","role":"assistant","content":[],"model":"gpt-4o-mini","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}\n\n',
        'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}\n\n',
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there!"}}\n\n',
        'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
        'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":11,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":6}}\n\n',
        'event: message_stop\ndata: {"type":"message_stop"}\n\n',
      ].join(''),
    );
  });

  it("puts the prompt's counts in message_start when the provider gave them at the start (Gemini's first chunk), as Anthropic does", async () => {
    const events = parseSse(
      await format([
        { type: 'stream-start', id: 'g-1', model: 'gemini-2.5-flash', created: 1, warnings: [], inputUsage: { inputTokens: 1200, outputTokens: 0, cachedInputTokens: 1000 } },
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: 'Hi' },
        { type: 'text-end', id: 't' },
        { type: 'finish', finishReason: 'stop', usage: { inputTokens: 1200, outputTokens: 1, cachedInputTokens: 1000 } },
      ]),
    );
    const message = events[0]!.data.message as { usage: unknown };
    assert.deepStrictEqual(message.usage, { input_tokens: 200, cache_creation_input_tokens: 0, cache_read_input_tokens: 1000, output_tokens: 0 });
  });

  it('matches the SDK fixture sdk-messages-stream-tool-use.sse event for event (usage at the end)', async () => {
    const expected = await specExample('sdk-messages-stream-tool-use.sse');
    const id = 'toolu_01NRLabsLyVHZPKxbKvkfSMn';
    const actual = parseSse(
      await format([
        start('msg_019Q1hrJbZG26Fb9BQhrkHEr'),
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: 'I' },
        { type: 'text-delta', id: 't', delta: "'ll check the current weather in Paris for you." },
        { type: 'text-end', id: 't' },
        { type: 'tool-input-start', id, toolName: 'get_weather' },
        ...['', '{"locati', 'on": "P', 'ar', 'is"}'].map((delta): StreamEvent => ({ type: 'tool-input-delta', id, delta })),
        { type: 'tool-input-end', id },
        { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_use', usage: { inputTokens: 377, outputTokens: 65 } },
      ]),
    );
    assert.deepStrictEqual(
      actual.map((event) => event.event),
      expected.map((event) => event.event),
    );
    // Every block event is identical; message_start carries no usage yet and message_delta all of it.
    for (const [index, event] of actual.entries()) {
      if (event.event === 'message_start' || event.event === 'message_delta') continue;
      assert.deepStrictEqual(event.data, expected[index]!.data, `event ${index} (${event.event})`);
    }
    const { usage: _startUsage, ...startMessage } = actual[0]!.data.message as Record<string, unknown>;
    const { usage: _expectedUsage, ...expectedStart } = expected[0]!.data.message as Record<string, unknown>;
    assert.deepStrictEqual(startMessage, expectedStart);
    assert.deepStrictEqual(actual.at(-2)!.data.delta, expected.at(-2)!.data.delta);
    assert.deepStrictEqual(actual.at(-2)!.data.usage, { input_tokens: 377, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 65 });
  });

  it('matches the docs example of extended thinking (thinking_delta, signature_delta, then text)', async () => {
    const expected = await specExample('docs-messages-stream-extended-thinking.sse');
    const thinking = expected.flatMap((event) => {
      const delta = event.data.delta as { type?: string; thinking?: string } | undefined;
      return delta?.type === 'thinking_delta' ? [delta.thinking!] : [];
    });
    const actual = parseSse(
      await format([
        start('msg_01...', 'claude-opus-4-1-20250805'),
        { type: 'reasoning-start', id: 'r' },
        ...thinking.map((delta): StreamEvent => ({ type: 'reasoning-delta', id: 'r', delta })),
        { type: 'reasoning-signature', id: 'r', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...' },
        { type: 'reasoning-end', id: 'r' },
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: '27 * 453 = 12,231' },
        { type: 'text-end', id: 't' },
        { type: 'finish', finishReason: 'stop', rawFinishReason: 'end_turn', usage: { inputTokens: 10, outputTokens: 20 } },
      ]),
    );
    assert.deepStrictEqual(
      actual.map((event) => event.event),
      expected.map((event) => event.event),
    );
    for (const [index, event] of actual.entries()) {
      if (event.event !== 'content_block_delta' && event.event !== 'content_block_stop') continue;
      assert.deepStrictEqual(event.data, expected[index]!.data, `event ${index}`);
    }
    // openapi.json ResponseThinkingBlock requires `signature`; the docs example predates it.
    assert.deepStrictEqual(actual[1]!.data.content_block, { type: 'thinking', thinking: '', signature: '' });
    assert.deepStrictEqual(actual.at(-2)!.data.delta, { stop_reason: 'end_turn', stop_sequence: null });
  });

  it('writes overlapping blocks one after the other (a tool call starting before the previous one ended)', async () => {
    const events = parseSse(
      await format([
        start('chatcmpl-2', 'gpt-4o'),
        { type: 'text-start', id: 'text-0' },
        { type: 'text-delta', id: 'text-0', delta: 'Both:' },
        { type: 'text-end', id: 'text-0' },
        { type: 'tool-input-start', id: 'call_a', toolName: 'weather' },
        { type: 'tool-input-delta', id: 'call_a', delta: '{"city":' },
        { type: 'tool-input-start', id: 'call_b', toolName: 'time' },
        { type: 'tool-input-delta', id: 'call_b', delta: '{"zone":"CET"}' },
        { type: 'tool-input-delta', id: 'call_a', delta: '"Paris"}' },
        { type: 'tool-input-end', id: 'call_a' },
        { type: 'tool-input-end', id: 'call_b' },
        { type: 'finish', finishReason: 'tool-calls', usage: { inputTokens: 5, outputTokens: 9 } },
      ]),
    );
    assert.deepStrictEqual(
      events.slice(1, -2).map((event) => event.data),
      [
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Both:' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_a', name: 'weather', input: {} } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } },
        { type: 'content_block_stop', index: 1 },
        { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'call_b', name: 'time', input: {} } },
        { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"zone":"CET"}' } },
        { type: 'content_block_stop', index: 2 },
      ],
    );
    assert.equal(events.at(-2)!.data.delta && (events.at(-2)!.data.delta as { stop_reason: string }).stop_reason, 'tool_use');
  });

  it('closes blocks left open at finish, and writes a refusal as a text block with stop_reason refusal', async () => {
    const events = parseSse(
      await format([
        start('chatcmpl-3', 'gpt-4o'),
        { type: 'refusal-delta', delta: "I can't " },
        { type: 'refusal-delta', delta: 'help with that.' },
        { type: 'finish', finishReason: 'content-filter', usage: { inputTokens: 5, outputTokens: 4, cachedInputTokens: 2 } },
      ]),
    );
    assert.deepStrictEqual(
      events.map((event) => event.data),
      [
        events[0]!.data,
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: "I can't " } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'help with that.' } },
        { type: 'content_block_stop', index: 0 },
        {
          type: 'message_delta',
          delta: { stop_reason: 'refusal', stop_sequence: null },
          usage: { input_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 2, output_tokens: 4 },
        },
        { type: 'message_stop' },
      ],
    );
  });

  // An outside probe: a cached answer replayed as a stream wrote its redacted block as an empty
  // thinking block, and Bedrock's stop_sequence came with stop_sequence null.
  it('writes redacted reasoning as a redacted_thinking block, and names the stop sequence', async () => {
    const events = parseSse(
      await format(
        [
          start('msg_1', 'claude-x'),
          { type: 'reasoning-start', id: 'r0' },
          { type: 'reasoning-redacted', id: 'r0', data: 'REDACTED' },
          { type: 'reasoning-end', id: 'r0' },
          { type: 'reasoning-start', id: 'r1' },
          { type: 'reasoning-signature', id: 'r1', signature: 'SIG' },
          { type: 'reasoning-end', id: 'r1' },
          { type: 'finish', finishReason: 'stop', rawFinishReason: 'stop_sequence', usage: { inputTokens: 5, outputTokens: 4 } },
        ],
        ['END'],
      ),
    );
    assert.deepStrictEqual(
      events.slice(1).map((event) => event.data),
      [
        { type: 'content_block_start', index: 0, content_block: { type: 'redacted_thinking', data: 'REDACTED' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: { type: 'thinking', thinking: '', signature: '' } },
        { type: 'content_block_delta', index: 1, delta: { type: 'signature_delta', signature: 'SIG' } },
        { type: 'content_block_stop', index: 1 },
        { type: 'message_delta', delta: { stop_reason: 'stop_sequence', stop_sequence: 'END' }, usage: { input_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 4 } },
        { type: 'message_stop' },
      ],
    );
  });

  it('stops with refusal when a streamed refusal ends with finish_reason stop, as OpenAI sends it', async () => {
    const events = parseSse(
      await format([
        start('chatcmpl-4', 'gpt-4o'),
        { type: 'refusal-delta', delta: "I can't help" },
        { type: 'finish', finishReason: 'stop', rawFinishReason: 'stop', usage: { inputTokens: 5, outputTokens: 3 } },
      ]),
    );
    const delta = events.map((event) => event.data as { type: string; delta?: { stop_reason?: string } }).find((data) => data.type === 'message_delta');
    assert.equal(delta?.delta?.stop_reason, 'refusal');
  });

  it('ends with an error event in the shape of docs-messages-stream-error-event.sse, and writes nothing after it', async () => {
    const [expected] = await specExample('docs-messages-stream-error-event.sse');
    const text = await format([
      start('chatcmpl-4', 'gpt-4o'),
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Once upon' },
      { type: 'error', error: new GatewayError('SB_ERR_UPSTREAM_UNAVAILABLE', 'Overloaded') },
      { type: 'text-delta', id: 'text-0', delta: ' a time' },
      { type: 'finish', finishReason: 'stop' },
    ]);
    const events = parseSse(text);
    assert.deepStrictEqual(
      events.map((event) => event.event),
      ['message_start', 'content_block_start', 'content_block_delta', 'error'],
    );
    assert.deepStrictEqual(events.at(-1), expected);
    assert.ok(text.endsWith('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'));
  });

  it('reports a stream that stops without finish or error as an error', async () => {
    const events = parseSse(await format([start('chatcmpl-5', 'gpt-4o'), { type: 'text-start', id: 'text-0' }, { type: 'text-delta', id: 'text-0', delta: 'Hel' }]));
    assert.deepStrictEqual(events.at(-1), { event: 'error', data: { type: 'error', error: { type: 'api_error', message: 'The stream ended without finishing.' } } });
  });

  describe('passthrough (the provider speaks Anthropic)', () => {
    const nativeStart: StreamEvent = { type: 'stream-start', id: 'msg_01', model: 'claude-x', created: 1, warnings: [], nativeFormat: 'anthropic-messages' };
    const chunk = (event: string, data: string): StreamEvent => ({ type: 'native-chunk', format: 'anthropic-messages', event, data });

    it('writes upstream events verbatim and ignores the typed ones', async () => {
      const text = await format([
        nativeStart,
        chunk('message_start', '{"type": "message_start", "message": {"id": "msg_01"}}'),
        { type: 'text-start', id: '0' },
        chunk('ping', '{"type": "ping"}'),
        { type: 'text-delta', id: '0', delta: 'Hi' },
        chunk('content_block_delta', '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}'),
        chunk('message_stop', '{"type":"message_stop"}'),
        { type: 'finish', finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 } },
      ]);
      assert.equal(
        text,
        'event: message_start\ndata: {"type": "message_start", "message": {"id": "msg_01"}}\n\n' +
          'event: ping\ndata: {"type": "ping"}\n\n' +
          'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n' +
          'event: message_stop\ndata: {"type":"message_stop"}\n\n',
      );
    });

    it("writes an upstream error event once, not again for the adapter's typed error", async () => {
      const upstream = '{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}';
      const text = await format([nativeStart, chunk('error', upstream), { type: 'error', error: new GatewayError('SB_ERR_UPSTREAM_UNAVAILABLE', 'Overloaded') }]);
      assert.equal(text, `event: error\ndata: ${upstream}\n\n`);
    });

    it('writes its own error event for a failure the upstream did not send (a cut connection)', async () => {
      const text = await format([nativeStart, chunk('message_start', '{}'), { type: 'error', error: new GatewayError('SB_ERR_STREAM_INTERRUPTED', 'The connection was cut') }]);
      assert.equal(text, 'event: message_start\ndata: {}\n\nevent: error\ndata: {"type":"error","error":{"type":"api_error","message":"The connection was cut"}}\n\n');
    });
  });
});
