import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.ts';
import type { StreamEvent } from '../../core/stream-event.ts';
import { openAIStreamFormatter } from './format-chat-stream.ts';

/** Runs events through the formatter and returns the SSE text written. */
async function format(events: StreamEvent[], includeUsage = false): Promise<string> {
  const source = new ReadableStream<StreamEvent>({
    start(controller) {
      for (const event of events) controller.enqueue(event);
      controller.close();
    },
  });
  let text = '';
  for await (const piece of source.pipeThrough(new TransformStream(openAIStreamFormatter(includeUsage)))) text += piece;
  return text;
}

/** SSE text → the data of each event (`[DONE]` as the string). */
function dataOf(text: string): unknown[] {
  assert.ok(text.endsWith('\n\n'), 'every event ends with a blank line');
  return text
    .split('\n\n')
    .filter((block) => block !== '')
    .map((block) => {
      assert.match(block, /^data: /);
      const data = block.slice('data: '.length);
      return data === '[DONE]' ? data : JSON.parse(data);
    });
}

const start: StreamEvent = { type: 'stream-start', id: 'msg_1', model: 'claude-sonnet-4-5', created: 1_700_000_000, warnings: [] };
const base = { id: 'msg_1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'claude-sonnet-4-5' };
const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });

describe('openAIStreamFormatter: StreamEvents → chat.completion.chunk SSE', () => {
  it('writes a text stream: a role chunk, one chunk per delta, the finish chunk, [DONE]', async () => {
    const text = await format([
      start,
      { type: 'text-start', id: 't0' },
      { type: 'text-delta', id: 't0', delta: 'Hel' },
      { type: 'text-delta', id: 't0', delta: 'lo' },
      { type: 'text-end', id: 't0' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 2 } },
    ]);
    assert.deepStrictEqual(dataOf(text), [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hel' }), chunk({ content: 'lo' }), chunk({}, 'stop'), '[DONE]']);
  });

  it('adds the usage chunk (empty choices) only when the caller asked for it', async () => {
    const events: StreamEvent[] = [start, { type: 'text-delta', id: 't0', delta: 'x' }, { type: 'finish', finishReason: 'length', usage: { inputTokens: 3, outputTokens: 2, cachedInputTokens: 1 } }];
    const withUsage = dataOf(await format(events, true));
    assert.deepStrictEqual(withUsage.at(-2), {
      ...base,
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, prompt_tokens_details: { cached_tokens: 1 }, completion_tokens_details: { reasoning_tokens: 0 } },
    });
    assert.deepStrictEqual(withUsage.at(-3), chunk({}, 'length'));
    assert.equal(dataOf(await format(events, false)).length, withUsage.length - 1);
  });

  it('numbers tool calls in the order they start and sends their arguments in pieces', async () => {
    const text = await format([
      start,
      { type: 'tool-input-start', id: 'toolu_a', toolName: 'weather' },
      { type: 'tool-input-delta', id: 'toolu_a', delta: '{"city":' },
      { type: 'tool-input-start', id: 'toolu_b', toolName: 'time' },
      { type: 'tool-input-delta', id: 'toolu_a', delta: '"Paris"}' },
      { type: 'tool-input-delta', id: 'toolu_b', delta: '{}' },
      { type: 'finish', finishReason: 'tool-calls' },
    ]);
    assert.deepStrictEqual(dataOf(text).slice(1), [
      chunk({ tool_calls: [{ index: 0, id: 'toolu_a', type: 'function', function: { name: 'weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'toolu_b', type: 'function', function: { name: 'time', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
      '[DONE]',
    ]);
  });

  it('writes reasoning as reasoning_content and refusals as refusal; signatures have no chunk', async () => {
    const text = await format([
      start,
      { type: 'reasoning-delta', id: 'r0', delta: 'Hmm.' },
      { type: 'reasoning-signature', id: 'r0', signature: 'sig' },
      { type: 'refusal-delta', delta: 'No.' },
      { type: 'finish', finishReason: 'content-filter' },
    ]);
    assert.deepStrictEqual(dataOf(text).slice(1), [chunk({ reasoning_content: 'Hmm.' }), chunk({ refusal: 'No.' }), chunk({}, 'content_filter'), '[DONE]']);
  });

  it("relays an OpenAI-style provider's chunks verbatim (internal ones excepted) and reads nothing else", async () => {
    const native = '{"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}]}';
    const text = await format(
      [
        { ...start, nativeFormat: 'openai-chat' },
        { type: 'native-chunk', format: 'openai-chat', data: native },
        { type: 'native-chunk', format: 'openai-chat', data: '{"usage":{}}', internal: true },
        { type: 'text-delta', id: 't0', delta: 'Hi' },
        { type: 'finish', finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 } },
      ],
      // The usage chunk is internal when the caller did not ask for usage.
      false,
    );
    assert.equal(text, `data: ${native}\n\ndata: [DONE]\n\n`);
  });

  it("ends a verbatim stream with the provider's usage chunk, or one of its own when the caller asked and the provider sent none", async () => {
    const native = '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hi"}}]}';
    const usageChunk = '{"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
    const nativeStart = { ...start, nativeFormat: 'openai-chat' as const };
    const finish: StreamEvent = { type: 'finish', finishReason: 'stop', usage: { inputTokens: 4, outputTokens: 2, estimated: true } };
    const relayed = await format([nativeStart, { type: 'native-chunk', format: 'openai-chat', data: native }, { type: 'native-chunk', format: 'openai-chat', data: usageChunk, usage: true }, finish], true);
    assert.equal(relayed, `data: ${native}\n\ndata: ${usageChunk}\n\ndata: [DONE]\n\n`);
    const built = dataOf(await format([nativeStart, { type: 'native-chunk', format: 'openai-chat', data: native }, finish], true));
    assert.deepStrictEqual(built, [
      JSON.parse(native),
      { ...base, choices: [], usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } } },
      '[DONE]',
    ]);
    // Not asked for: none added.
    assert.deepStrictEqual(dataOf(await format([nativeStart, { type: 'native-chunk', format: 'openai-chat', data: native }, finish], false)), [JSON.parse(native), '[DONE]']);
  });

  it('ends with an error chunk in the OpenAI error shape, and no [DONE]', async () => {
    const text = await format([start, { type: 'text-delta', id: 't0', delta: 'partial' }, { type: 'error', error: new GatewayError('SB_ERR_STREAM_INTERRUPTED', 'The provider stream was cut.') }]);
    const events = dataOf(text);
    assert.deepStrictEqual(events.at(-1), { error: { message: 'The provider stream was cut.', type: 'api_error', param: null, code: 'stream_interrupted' } });
    assert.ok(!events.includes('[DONE]'));
  });
});
