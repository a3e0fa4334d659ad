import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatResult } from '../../core/chat-result.ts';
import { GatewayError, type ErrorCode } from '../../core/errors.ts';
import { formatAnthropicError } from './format-error.ts';
import { formatMessagesResponse } from './format-messages-response.ts';

const base: ChatResult = {
  id: 'chatcmpl-abc123',
  model: 'gpt-4o-mini-2024-07-18',
  created: 1_700_000_000,
  content: [{ type: 'text', text: 'Hello!' }],
  finishReason: 'stop',
  rawFinishReason: 'stop',
  usage: { inputTokens: 12, outputTokens: 3 },
  warnings: [],
};

/** The usage fields openapi.json requires that only Anthropic's own services fill. */
const usage = { cache_creation: null, inference_geo: null, server_tool_use: null, service_tier: null };

const parse = (result: ChatResult) => JSON.parse(formatMessagesResponse(result)) as unknown;

describe('formatMessagesResponse: ChatResult → Anthropic message', () => {
  it('formats a text answer exactly, the model as the provider reported it', () => {
    assert.deepStrictEqual(parse(base), {
      id: 'msg_chatcmpl-abc123',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4o-mini-2024-07-18',
      content: [{ type: 'text', text: 'Hello!', citations: null }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      // openapi.json `Message` requires these; nothing here fills them.
      stop_details: null,
      container: null,
      usage: { ...usage, input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 3 },
    });
  });

  it('reports cache reads and writes beside the input, the writes by lifetime (openapi.json CacheCreation)', () => {
    const answer = parse({ ...base, usage: { inputTokens: 1_000, outputTokens: 3, cachedInputTokens: 400, cacheWriteTokens: 500, cacheWrite1hTokens: 300 } }) as { usage: unknown };
    assert.deepStrictEqual(answer.usage, {
      ...usage,
      input_tokens: 100,
      cache_creation_input_tokens: 500,
      cache_read_input_tokens: 400,
      output_tokens: 3,
      cache_creation: { ephemeral_5m_input_tokens: 200, ephemeral_1h_input_tokens: 300 },
    });
  });

  it('formats thinking, text and tool calls in order, tool arguments as input objects', () => {
    const result: ChatResult = {
      ...base,
      id: 'msg_01XYZ',
      content: [
        { type: 'reasoning', text: 'Need the weather.', signature: 'EqQBCgIYAhIM' },
        { type: 'reasoning', text: '', redacted: 'cmVkYWN0ZWQ=' },
        { type: 'text', text: 'Let me check.' },
        { type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris","days":[1,2]}' },
        { type: 'tool-call', id: 'call_2', name: 'get_time', arguments: '' },
      ],
      finishReason: 'tool-calls',
      rawFinishReason: 'tool_calls',
    };
    assert.deepStrictEqual(parse(result), {
      id: 'msg_01XYZ',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4o-mini-2024-07-18',
      content: [
        { type: 'thinking', thinking: 'Need the weather.', signature: 'EqQBCgIYAhIM' },
        { type: 'redacted_thinking', data: 'cmVkYWN0ZWQ=' },
        { type: 'text', text: 'Let me check.', citations: null },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris', days: [1, 2] }, caller: { type: 'direct' } },
        { type: 'tool_use', id: 'call_2', name: 'get_time', input: {}, caller: { type: 'direct' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      stop_details: null,
      container: null,
      usage: { ...usage, input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 3 },
    });
  });

  it('maps every finish reason, keeping a raw reason that is already Anthropic', () => {
    const stopReason = (finishReason: ChatResult['finishReason'], rawFinishReason?: string) =>
      (parse({ ...base, finishReason, rawFinishReason }) as { stop_reason: string }).stop_reason;
    assert.equal(stopReason('stop'), 'end_turn');
    assert.equal(stopReason('length', 'length'), 'max_tokens');
    assert.equal(stopReason('tool-calls', 'tool_calls'), 'tool_use');
    assert.equal(stopReason('content-filter', 'content_filter'), 'refusal');
    assert.equal(stopReason('other', 'weird'), 'end_turn');
    assert.equal(stopReason('error'), 'end_turn');
    assert.equal(stopReason('other', 'pause_turn'), 'pause_turn');
  });

  // An outside probe: Bedrock's stopReason "stop_sequence" came out with stop_sequence null,
  // which openapi.json `Message.stop_sequence` rules out.
  it('names the stop sequence that matched: the provider’s, else the caller’s only one, else reads as end_turn', () => {
    const stop = (result: ChatResult, stops?: string[]) => {
      const body = JSON.parse(formatMessagesResponse(result, stops)) as { stop_reason: string; stop_sequence: string | null };
      return [body.stop_reason, body.stop_sequence];
    };
    const matched: ChatResult = { ...base, finishReason: 'stop', rawFinishReason: 'stop_sequence' };
    assert.deepStrictEqual(stop({ ...matched, stopSequence: 'END' }, ['STOP', 'END']), ['stop_sequence', 'END']);
    assert.deepStrictEqual(stop(matched, ['END']), ['stop_sequence', 'END']);
    assert.deepStrictEqual(stop(matched, ['STOP', 'END']), ['end_turn', null]);
    assert.deepStrictEqual(stop(matched), ['end_turn', null]);
    // A provider whose own reason is not Anthropic's (Cohere's STOP_SEQUENCE) but whose adapter names the sequence.
    assert.deepStrictEqual(stop({ ...base, finishReason: 'stop', rawFinishReason: 'STOP_SEQUENCE', stopSequence: 'END' }, ['END']), ['stop_sequence', 'END']);
  });

  it('formats a refusal as text with stop_reason refusal', () => {
    const result: ChatResult = { ...base, content: [{ type: 'refusal', text: "I can't help with that." }], finishReason: 'content-filter', rawFinishReason: 'stop' };
    const body = parse(result) as { content: unknown; stop_reason: string };
    assert.deepStrictEqual(body.content, [{ type: 'text', text: "I can't help with that.", citations: null }]);
    assert.equal(body.stop_reason, 'refusal');
  });

  it('stops with refusal when an OpenAI-style refusal ends with finish_reason stop (chat-completions-stream-refusal.sse)', () => {
    const result: ChatResult = { ...base, content: [{ type: 'refusal', text: "I can't help" }], finishReason: 'stop', rawFinishReason: 'stop' };
    assert.equal((parse(result) as { stop_reason: string }).stop_reason, 'refusal');
    const answered: ChatResult = { ...base, content: [{ type: 'text', text: 'Sure.' }], finishReason: 'stop', rawFinishReason: 'stop' };
    assert.equal((parse(answered) as { stop_reason: string }).stop_reason, 'end_turn');
  });

  it('takes cached prompt tokens out of input_tokens, as Anthropic counts them apart', () => {
    const result: ChatResult = { ...base, usage: { inputTokens: 1000, outputTokens: 50, cachedInputTokens: 600, cacheWriteTokens: 300 } };
    assert.deepStrictEqual((parse(result) as { usage: unknown }).usage, {
      ...usage,
      input_tokens: 100,
      cache_creation_input_tokens: 300,
      cache_read_input_tokens: 600,
      output_tokens: 50,
    });
  });

  it("returns an Anthropic provider's body unchanged", () => {
    const body = '{"id":"msg_01","type":"message","role":"assistant","content":[],"model":"claude-x","stop_reason":"stop_sequence","stop_sequence":"END","usage":{"input_tokens":1,"output_tokens":0},"container":null}';
    assert.equal(formatMessagesResponse({ ...base, native: { format: 'anthropic-messages', body } }), body);
  });

  it('refuses tool arguments that are not a JSON object rather than guess', () => {
    for (const text of ['{"city": "Par', '[1,2]', '"text"']) {
      assert.throws(
        () => formatMessagesResponse({ ...base, content: [{ type: 'tool-call', id: 'c', name: 'f', arguments: text }] }),
        (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_UPSTREAM_INVALID_RESPONSE',
      );
    }
  });

  it('writes a tool call cut off by max_tokens (its arguments unfinished JSON) as a max_tokens stop with an empty input', () => {
    const cut: ChatResult = { ...base, finishReason: 'length', rawFinishReason: 'length', content: [{ type: 'tool-call', id: 'c', name: 'f', arguments: '{"city": "Par' }] };
    const answer = parse(cut) as { stop_reason: string; content: unknown };
    assert.equal(answer.stop_reason, 'max_tokens');
    assert.deepStrictEqual(answer.content, [{ type: 'tool_use', id: 'c', name: 'f', input: {}, caller: { type: 'direct' } }]);
    // Complete JSON that is not an object is still refused, cut off or not.
    assert.throws(() => formatMessagesResponse({ ...cut, content: [{ type: 'tool-call', id: 'c', name: 'f', arguments: '[1,2]' }] }), /not a JSON object/);
  });
});

describe('formatAnthropicError: GatewayError → Anthropic error body', () => {
  it('gives the error type for each status, as Anthropic pairs them', () => {
    const cases: Array<[ErrorCode, string]> = [
      ['SB_ERR_INVALID_REQUEST', 'invalid_request_error'],
      ['SB_ERR_CONTEXT_LENGTH', 'invalid_request_error'],
      ['SB_ERR_UNAUTHORIZED', 'authentication_error'],
      ['SB_ERR_MODEL_FORBIDDEN', 'permission_error'],
      ['SB_ERR_MODEL_NOT_FOUND', 'not_found_error'],
      ['SB_ERR_NOT_FOUND', 'not_found_error'],
      ['SB_ERR_BODY_TOO_LARGE', 'request_too_large'],
      ['SB_ERR_RATE_LIMITED', 'rate_limit_error'],
      ['SB_ERR_BUDGET_EXCEEDED', 'rate_limit_error'],
      ['SB_ERR_UPSTREAM_RATE_LIMITED', 'rate_limit_error'],
      ['SB_ERR_UPSTREAM_ERROR', 'api_error'],
      ['SB_ERR_UPSTREAM_AUTH', 'api_error'],
      ['SB_ERR_UPSTREAM_UNAVAILABLE', 'overloaded_error'],
      ['SB_ERR_UNAVAILABLE', 'overloaded_error'],
      ['SB_ERR_UPSTREAM_TIMEOUT', 'timeout_error'],
      ['SB_ERR_STREAM_INTERRUPTED', 'api_error'],
      ['SB_ERR_INTERNAL', 'api_error'],
      ['SB_ERR_CLIENT_CLOSED', 'api_error'],
    ];
    for (const [code, type] of cases) {
      // An internal error's own text (a bug's message) is never shown: src/api/validation.ts callerMessage.
      const message =
        code === 'SB_ERR_INTERNAL'
          ? 'Internal error: the gateway failed to handle this request. The server log has the details.'
          : code === 'SB_ERR_CONTEXT_LENGTH'
            ? 'prompt is too long (what happened)'
            : 'what happened';
      assert.deepStrictEqual(formatAnthropicError(new GatewayError(code, 'what happened')), { type: 'error', error: { type, message } }, code);
    }
  });

  it("words another provider's context overflow as Anthropic does, which Claude Code compacts on", () => {
    const overflow = (message: string) => formatAnthropicError(new GatewayError('SB_ERR_CONTEXT_LENGTH', message)).error.message;
    assert.equal(
      overflow("1 attempt failed: oai/gpt-4o: This model's maximum context length is 128000 tokens. However, your messages resulted in 130123 tokens."),
      "prompt is too long: 130123 tokens > 128000 maximum (1 attempt failed: oai/gpt-4o: This model's maximum context length is 128000 tokens. However, your messages resulted in 130123 tokens.)",
    );
    assert.match(overflow('The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).'), /^prompt is too long: 1200000 tokens > 1048576 maximum \(/);
    assert.match(overflow('Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length'), /^prompt is too long: 40000 tokens > 32768 maximum \(/);
    assert.equal(overflow('too many tokens'), 'prompt is too long (too many tokens)');
    assert.equal(overflow('prompt is too long: 210000 tokens > 200000 maximum'), 'prompt is too long: 210000 tokens > 200000 maximum', "Anthropic's own, as it came");
  });

  it('words an overflow of the output asked for as Anthropic does, on which Claude Code lowers max_tokens', () => {
    const overflow = (message: string, options?: ConstructorParameters<typeof GatewayError>[2]) => formatAnthropicError(new GatewayError('SB_ERR_CONTEXT_LENGTH', message, options)).error.message;
    const claudeCode = /^input length and `max_tokens` exceed context limit: (\d+) \+ (\d+) > (\d+), decrease input length or `max_tokens` and try again/;
    // OpenAI's older form and vLLM's: the prompt fits, the completion asked for does not.
    assert.deepEqual(
      claudeCode.exec(overflow("This model's maximum context length is 8192 tokens. However, you requested 8500 tokens (7500 in the messages, 1000 in the completion). Please reduce the length of the messages or completion."))?.slice(1),
      ['7500', '1000', '8192'],
    );
    assert.deepEqual(
      claudeCode.exec(overflow("This model's maximum context length is 4096 tokens. However, you requested a total of 5000 tokens: 4000 tokens from the input messages and 1000 tokens for the completion."))?.slice(1),
      ['4000', '1000', '4096'],
    );
    assert.deepEqual(
      claudeCode.exec(overflow("'max_tokens' or 'max_completion_tokens' is too large: 2000. This model's maximum context length is 4096 tokens and your request has 2104 input tokens (2000 > 4096 - 2104)."))?.slice(1),
      ['2104', '2000', '4096'],
    );
    // OpenRouter lists text, image and tool input apart: the prompt is what was requested less the output.
    assert.deepEqual(
      claudeCode.exec(overflow("This endpoint's maximum context length is 131072 tokens. However, you requested about 132463 tokens (1463 of text input, 200 of image input, 130800 in the output)."))?.slice(1),
      ['1663', '130800', '131072'],
    );
    // The gateway's own numbers (every candidate's window too small) come first.
    assert.match(overflow('No model of `auto` has a context window for this request', { contextOverflow: { promptTokens: 120_000, outputTokens: 32_000, limit: 128_000 } }), /^input length and `max_tokens` exceed context limit: 120000 \+ 32000 > 128000, /);
    // A prompt that alone does not fit: compacting is what helps, whatever the output asked for.
    assert.match(overflow('No model of `auto` has a context window for this request', { contextOverflow: { promptTokens: 130_000, outputTokens: 32_000, limit: 128_000 } }), /^prompt is too long: 130000 tokens > 128000 maximum \(/);
    assert.match(overflow("This model's maximum context length is 8192 tokens. However, you requested 9500 tokens (9000 in the messages, 500 in the completion)."), /^prompt is too long: 9000 tokens > 8192 maximum \(/);
    const anthropics = 'input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, decrease input length or `max_tokens` and try again';
    assert.equal(overflow(anthropics), anthropics, "Anthropic's own, as it came");
  });

  it('follows a status override (a provider 529 relayed as such is overloaded)', () => {
    assert.equal(formatAnthropicError(new GatewayError('SB_ERR_UPSTREAM_ERROR', 'x', { status: 529 })).error.type, 'overloaded_error');
    assert.equal(formatAnthropicError(new GatewayError('SB_ERR_INVALID_REQUEST', 'x', { status: 422 })).error.type, 'invalid_request_error');
  });
});
