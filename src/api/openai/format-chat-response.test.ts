import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatResult } from '../../core/chat-result.ts';
import { formatChatResponse, openAIFinishReason, openAIUsage } from './format-chat-response.ts';

const result = (overrides: Partial<ChatResult>): ChatResult => ({
  id: 'msg_01',
  model: 'claude-sonnet-4-5-20250929',
  created: 1_700_000_000,
  content: [],
  finishReason: 'stop',
  usage: { inputTokens: 12, outputTokens: 5 },
  warnings: [],
  ...overrides,
});

describe('formatChatResponse: ChatResult → OpenAI chat.completion', () => {
  it('writes a text answer in the exact chat.completion shape', () => {
    const body = JSON.parse(formatChatResponse(result({ content: [{ type: 'text', text: 'Hello' }, { type: 'text', text: ' there' }] })));
    assert.deepStrictEqual(body, {
      id: 'msg_01',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'claude-sonnet-4-5-20250929',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
    });
  });

  it('writes tool calls with null content, reasoning as reasoning_content, and cached and reasoning tokens', () => {
    const body = JSON.parse(
      formatChatResponse(
        result({
          content: [
            { type: 'reasoning', text: 'Need the weather.' },
            { type: 'tool-call', id: 'toolu_1', name: 'weather', arguments: '{"city":"Paris"}' },
            { type: 'tool-call', id: 'toolu_2', name: 'time', arguments: '{}' },
          ],
          finishReason: 'tool-calls',
          usage: { inputTokens: 100, outputTokens: 30, cachedInputTokens: 80, reasoningTokens: 10 },
        }),
      ),
    );
    assert.deepStrictEqual(body.choices[0], {
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        reasoning_content: 'Need the weather.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'time', arguments: '{}' } },
        ],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    });
    assert.deepStrictEqual(body.usage, { prompt_tokens: 100, completion_tokens: 30, total_tokens: 130, prompt_tokens_details: { cached_tokens: 80 }, completion_tokens_details: { reasoning_tokens: 10 } });
  });

  it('writes a refusal in `refusal` with null content', () => {
    const body = JSON.parse(formatChatResponse(result({ content: [{ type: 'refusal', text: 'I cannot help with that.' }], finishReason: 'content-filter' })));
    assert.deepStrictEqual(body.choices[0].message, { role: 'assistant', content: null, refusal: 'I cannot help with that.' });
    assert.equal(body.choices[0].finish_reason, 'content_filter');
  });

  it('returns a provider body already in this format byte for byte', () => {
    const native = '{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0},{"index":1}],"system_fingerprint":"fp_1"}';
    assert.equal(formatChatResponse(result({ native: { format: 'openai-chat', body: native } })), native);
  });

  it('maps every unified finish reason to one of OpenAI', () => {
    assert.deepStrictEqual(
      (['stop', 'length', 'tool-calls', 'content-filter', 'error', 'other'] as const).map(openAIFinishReason),
      ['stop', 'length', 'tool_calls', 'content_filter', 'stop', 'stop'],
    );
  });

  it('totals usage', () => {
    assert.equal(openAIUsage({ inputTokens: 3, outputTokens: 4 }).total_tokens, 7);
  });
});
