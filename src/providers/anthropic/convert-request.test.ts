import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import { convertRequest, defaultMaxTokens } from './convert-request.ts';

const base: ChatRequest = { model: 'smart', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, includeUsage: false, metadata: {}, hints: {} };
const call = { model: 'claude-sonnet-4-5' };
const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function rejects(request: Partial<ChatRequest>, param: string, pattern: RegExp): void {
  assert.throws(
    () => convertRequest({ ...base, ...request }, call),
    (error: unknown) => {
      assert.ok(GatewayError.isInstance(error));
      assert.equal(error.code, 'SB_ERR_INVALID_REQUEST');
      assert.equal(error.status, 400);
      assert.equal(error.param, param);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('anthropic request conversion', () => {
  it('builds exactly this Messages body from a full OpenAI-shaped conversation', () => {
    const request: ChatRequest = {
      ...base,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        { role: 'system', developer: true, content: [{ type: 'text', text: 'Answer in French.' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look at these:' },
            { type: 'image', url: `data:image/png;base64,${png}` },
            { type: 'image', url: 'https://example.com/cat.jpg', detail: 'auto' },
            { type: 'file', mediaType: 'application/pdf', data: 'JVBERi0xLjQ=', filename: 'report.pdf' },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'They want weather.', signature: 'sig-abc' },
            { type: 'reasoning', text: '', redacted: 'opaque-bytes' },
            { type: 'text', text: 'Checking two cities.' },
            { type: 'tool-call', id: 'call_paris', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { type: 'tool-call', id: 'call_rome', name: 'get_weather', arguments: '{"city":"Rome"}' },
          ],
        },
        { role: 'tool', toolCallId: 'call_paris', content: [{ type: 'text', text: '18C' }] },
        { role: 'tool', toolCallId: 'call_rome', content: [{ type: 'text', text: 'timeout' }], isError: true },
        { role: 'user', content: [{ type: 'text', text: 'And tomorrow?' }] },
      ],
      tools: [{ name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true }],
      toolChoice: 'required',
      parallelToolCalls: false,
      responseFormat: { type: 'json_schema', name: 'forecast', schema: { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'], additionalProperties: false } },
      reasoningEffort: 'high',
      maxOutputTokens: 1000,
      temperature: 0.3,
      topP: 0.9,
      topK: 40,
      stop: ['END', '###'],
      user: 'user-42',
      thinkingBudgetTokens: 2048,
      stream: true,
    };
    const { body, warnings } = convertRequest(request, call);
    assert.deepStrictEqual(body, {
      model: 'claude-sonnet-4-5',
      max_tokens: 1000,
      system: [
        { type: 'text', text: 'Be brief.' },
        { type: 'text', text: 'Answer in French.' },
      ],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look at these:' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQ=' }, title: 'report.pdf' },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'They want weather.', signature: 'sig-abc' },
            { type: 'redacted_thinking', data: 'opaque-bytes' },
            { type: 'text', text: 'Checking two cities.' },
            { type: 'tool_use', id: 'call_paris', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'call_rome', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_paris', content: '18C' },
            { type: 'tool_result', tool_use_id: 'call_rome', content: 'timeout', is_error: true },
            { type: 'text', text: 'And tomorrow?' },
          ],
        },
      ],
      tools: [{ name: 'get_weather', description: 'Weather by city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      output_config: {
        format: { type: 'json_schema', schema: { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'], additionalProperties: false } },
        effort: 'high',
      },
      temperature: 0.3,
      top_k: 40,
      stop_sequences: ['END', '###'],
      metadata: { user_id: 'user-42' },
      thinking: { type: 'enabled', budget_tokens: 2048 },
      stream: true,
    });
    // Claude Sonnet 4.5 takes temperature or top_p, not both (../_shared/claude-models.ts).
    assert.deepStrictEqual(warnings.map((warning) => warning.setting), ['top_p']);
  });

  it('sends one system message as a string and a lone user text as the string shorthand', () => {
    const { body } = convertRequest({ ...base, messages: [{ role: 'system', content: [{ type: 'text', text: 'Be brief.' }] }, ...base.messages] }, call);
    assert.deepStrictEqual(body, { model: 'claude-sonnet-4-5', max_tokens: defaultMaxTokens, system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }] });
  });

  it('sends prompt-caching breakpoints as cache_control, blocks kept where a breakpoint needs one, the latest four at most', () => {
    const marked = (text: string, minTtlSeconds?: number) => ({ type: 'text' as const, text, cacheBreakpoint: minTtlSeconds === undefined ? {} : { minTtlSeconds } });
    const { body, warnings } = convertRequest(
      {
        ...base,
        messages: [
          { role: 'system', content: [marked('Long instructions.', 1_800)] },
          { role: 'user', content: [marked('A long document.'), { type: 'text', text: 'First question?' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'Calling.' }, { type: 'tool-call', id: 'call_1', name: 'look', arguments: '{}' }] },
          { role: 'tool', toolCallId: 'call_1', content: [marked('Tool output.')] },
          { role: 'user', content: [marked('Second question?', 300)] },
        ],
      },
      call,
    );
    assert.deepStrictEqual(body.system, [{ type: 'text', text: 'Long instructions.', cache_control: { type: 'ephemeral', ttl: '1h' } }]);
    assert.deepStrictEqual(body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'A long document.', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'First question?' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Calling.' }, { type: 'tool_use', id: 'call_1', name: 'look', input: {} }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: [{ type: 'text', text: 'Tool output.', cache_control: { type: 'ephemeral' } }] },
          { type: 'text', text: 'Second question?', cache_control: { type: 'ephemeral' } },
        ],
      },
    ]);
    assert.deepStrictEqual(warnings, []);
    // Six breakpoints: the two earliest are left out, as OpenAI writes only the latest four.
    const six = convertRequest({ ...base, messages: [{ role: 'system', content: [marked('s1'), marked('s2')] }, { role: 'user', content: [marked('u1'), marked('u2'), marked('u3'), marked('u4')] }] }, call).body;
    assert.deepStrictEqual(six.system, [{ type: 'text', text: 's1' }, { type: 'text', text: 's2' }]);
    const sent = ((six.messages as Array<{ content: unknown }>)[0]!.content as Array<{ cache_control?: unknown }>).filter((block) => block.cache_control !== undefined);
    assert.equal(sent.length, 4);
  });

  it('takes max_tokens from the request, else the model entry, else 4096', () => {
    assert.equal(convertRequest({ ...base, maxOutputTokens: 10 }, { ...call, maxOutputTokens: 64000 }).body.max_tokens, 10);
    assert.equal(convertRequest(base, { ...call, maxOutputTokens: 64000 }).body.max_tokens, 64000);
    assert.equal(convertRequest(base, call).body.max_tokens, 4096);
  });

  it('maps each tool_choice, and parallel_tool_calls false onto it', () => {
    const tools = [{ name: 'a', parameters: { type: 'object' } }];
    const choice = (request: Partial<ChatRequest>) => convertRequest({ ...base, tools, ...request }, call).body.tool_choice;
    assert.equal(choice({}), undefined);
    assert.deepStrictEqual(choice({ toolChoice: 'auto' }), { type: 'auto' });
    assert.deepStrictEqual(choice({ toolChoice: 'required' }), { type: 'any' });
    assert.deepStrictEqual(choice({ toolChoice: 'none' }), { type: 'none' });
    assert.deepStrictEqual(choice({ toolChoice: { type: 'tool', name: 'a' } }), { type: 'tool', name: 'a' });
    assert.deepStrictEqual(choice({ parallelToolCalls: false }), { type: 'auto', disable_parallel_tool_use: true });
    assert.deepStrictEqual(choice({ toolChoice: { type: 'tool', name: 'a' }, parallelToolCalls: false }), { type: 'tool', name: 'a', disable_parallel_tool_use: true });
    assert.deepStrictEqual(choice({ toolChoice: 'none', parallelToolCalls: false }), { type: 'none' });
    assert.equal(choice({ parallelToolCalls: true }), undefined);
    assert.equal(convertRequest({ ...base, toolChoice: 'none' }, call).body.tool_choice, undefined, 'none without tools means nothing');
  });

  it('gives parameters without a type the object type Anthropic requires, and empty arguments the input {}', () => {
    const { body } = convertRequest(
      {
        ...base,
        tools: [{ name: 'now', parameters: {} }],
        messages: [...base.messages, { role: 'assistant', content: [{ type: 'tool-call', id: 'call_1', name: 'now', arguments: '' }] }, { role: 'tool', toolCallId: 'call_1', content: [] }],
      },
      call,
    );
    assert.deepStrictEqual(body.tools, [{ name: 'now', input_schema: { type: 'object' } }]);
    assert.deepStrictEqual((body.messages as unknown[]).slice(1), [
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'now', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1' }] },
    ]);
  });

  it('rewrites tool ids Anthropic would refuse the same way in the call and in its result', () => {
    const { body } = convertRequest(
      {
        ...base,
        messages: [
          ...base.messages,
          { role: 'assistant', content: [{ type: 'tool-call', id: 'functions.lookup:0', name: 'lookup', arguments: '{}' }] },
          { role: 'tool', toolCallId: 'functions.lookup:0', content: [{ type: 'text', text: 'ok' }] },
        ],
      },
      call,
    );
    const [, assistant, result] = body.messages as Array<{ content: Array<{ id?: string; tool_use_id?: string }> }>;
    assert.equal(assistant!.content[0]!.id, 'functions_lookup_0');
    assert.equal(result!.content[0]!.tool_use_id, 'functions_lookup_0');
  });

  it("says a caller's final assistant message is continued (a prefill), and trims the whitespace Anthropic refuses at its end", () => {
    const ending = (content: string) => convertRequest({ ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'Name a colour.' }] }, { role: 'assistant', content: [{ type: 'text', text: content }] }] }, call);
    const trailing = ending('The colour is ');
    assert.deepStrictEqual((trailing.body.messages as Array<{ content: unknown }>).at(-1), { role: 'assistant', content: 'The colour is' });
    assert.deepStrictEqual(trailing.warnings.map((warning) => [warning.type, warning.setting]), [['other', 'messages[1]'], ['other', 'messages[1]']]);
    const clean = ending('The colour is');
    assert.deepStrictEqual(clean.warnings.map((warning) => warning.setting), ['messages[1]']);
    const blank = ending('  ');
    assert.equal((blank.body.messages as unknown[]).length, 1, 'whitespace alone: the turn goes (Anthropic refuses empty text)');
  });

  it('drops what Anthropic has no field for, with one warning each', () => {
    const { body, warnings } = convertRequest(
      {
        ...base,
        messages: [
          { role: 'user', name: 'ann', content: [{ type: 'text', text: 'hi' }, { type: 'image', url: 'https://example.com/a.png', detail: 'low' }] },
          { role: 'assistant', content: [{ type: 'reasoning', text: 'unsigned thoughts' }, { type: 'text', text: 'hello' }] },
          { role: 'system', content: [{ type: 'text', text: 'late rule' }] },
          { role: 'user', content: [{ type: 'text', text: '' }] },
        ],
        seed: 7,
        presencePenalty: 0.5,
        frequencyPenalty: 0.5,
        responseFormat: { type: 'json_object' },
        reasoningEffort: 'minimal',
        native: { format: 'openai-chat', body: { model: 'smart', messages: [], logit_bias: { '50256': -100 }, store: null, seed: 7 } },
      },
      call,
    );
    assert.deepStrictEqual(warnings.map((warning) => warning.setting), [
      'messages[0].name',
      'messages[0].image_url.detail',
      'messages[1].reasoning',
      'messages[2]',
      'messages[3]',
      // With the empty user message left out, the conversation ends with the assistant's: continued.
      'messages[1]',
      'response_format',
      'reasoning_effort',
      'seed',
      'presence_penalty',
      'frequency_penalty',
      'logit_bias',
    ]);
    assert.equal(body.system, 'late rule');
    assert.equal('seed' in body || 'output_config' in body, false);
    assert.deepStrictEqual(body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }] },
      { role: 'assistant', content: 'hello' },
    ]);
  });

  // An outside review: safety_identifier, OpenAI's abuse-tracking id, was dropped though metadata.user_id is Anthropic's.
  it("sends OpenAI's safety_identifier as metadata.user_id, in place of a different user (reported)", () => {
    const native = (fields: Record<string, unknown>) => ({ format: 'openai-chat' as const, body: { model: 'smart', messages: [], ...fields } });
    const alone = convertRequest({ ...base, native: native({ safety_identifier: 'hash-1' }) }, call);
    assert.deepStrictEqual(alone.body.metadata, { user_id: 'hash-1' });
    assert.deepStrictEqual(alone.warnings, []);
    const both = convertRequest({ ...base, user: 'user-42', native: native({ safety_identifier: 'hash-1', user: 'user-42' }) }, call);
    assert.deepStrictEqual(both.body.metadata, { user_id: 'hash-1' });
    assert.deepStrictEqual(both.warnings.map((warning) => [warning.type, warning.setting]), [['dropped-setting', 'user']]);
    const same = convertRequest({ ...base, user: 'u', native: native({ safety_identifier: 'u', user: 'u' }) }, call);
    assert.deepStrictEqual([same.body.metadata, same.warnings], [{ user_id: 'u' }, []]);
    assert.deepStrictEqual(convertRequest({ ...base, user: 'user-42' }, call).body.metadata, { user_id: 'user-42' });
  });

  it('rejects before any call what would change the answer\'s shape or cannot be sent', () => {
    rejects({ temperature: 1.5 }, 'temperature', /ranges from 0 to 1/);
    rejects({ n: 2 }, 'n', /one choice/);
    rejects({ logprobs: true }, 'logprobs', /log probabilities/);
    rejects({ topLogprobs: 3 }, 'top_logprobs', /log probabilities/);
    const assistant = (args: string): Partial<ChatRequest> => ({ messages: [...base.messages, { role: 'assistant', content: [{ type: 'tool-call', id: 'call_1', name: 'a', arguments: args }] }] });
    rejects(assistant('{"city": '), 'messages[1]', /not valid JSON/);
    rejects(assistant('[1, 2]'), 'messages[1]', /not a JSON object/);
    const user = (part: ChatRequest['messages'][number]['content'][number]): Partial<ChatRequest> => ({ messages: [{ role: 'user', content: [part] as never }] });
    rejects(user({ type: 'image', url: 'data:image/bmp;base64,Qk0=' }), 'messages[0]', /image\/bmp/);
    rejects(user({ type: 'image', url: 'http://example.com/a.png' }), 'messages[0]', /https URLs or base64 data URLs/);
    rejects(user({ type: 'file', mediaType: 'audio/wav', data: 'UklGRg==' }), 'messages[0]', /audio\/wav/);
    rejects(user({ type: 'file', mediaType: 'application/pdf', fileId: 'file-abc' }), 'messages[0]', /file id only/);
    rejects({ tools: [{ name: 'a', parameters: { type: 'array' } }] }, 'tools[0].function.parameters', /type "object"/);
    rejects({ toolChoice: 'required' }, 'tool_choice', /requires tools/);
  });

  it('sends an Anthropic-format body as it came, with only model and stream replaced', () => {
    const native = {
      model: 'smart',
      max_tokens: 300,
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      service_tier: 'auto',
    };
    const request: ChatRequest = { ...base, temperature: 3, n: 4, native: { format: 'anthropic-messages', body: native } };
    assert.deepStrictEqual(convertRequest({ ...request, stream: true }, call), { body: { ...native, model: 'claude-sonnet-4-5', stream: true }, warnings: [] });
    const { stream: _stream, ...withoutStream } = native;
    assert.deepStrictEqual(convertRequest({ ...request, stream: false }, call).body, { ...withoutStream, model: 'claude-sonnet-4-5' });
    assert.equal(native.model, 'smart', 'the caller\'s body is not mutated');
  });

  describe('role "system" messages of an Anthropic-format body (as @anthropic-ai/sdk 1.x sends them)', () => {
    const passthrough = (native: Record<string, unknown>) => convertRequest({ ...base, native: { format: 'anthropic-messages', body: native } }, call);
    const user = (text: string) => ({ role: 'user', content: text });
    const cached = { type: 'text', text: 'Cached rules.', cache_control: { type: 'ephemeral' } };

    it('lifts a leading one into system as it came, with no warning', () => {
      assert.deepStrictEqual(passthrough({ model: 'smart', max_tokens: 10, messages: [{ role: 'system', content: 'Be terse' }, user('hi')] }), {
        body: { model: 'claude-sonnet-4-5', max_tokens: 10, system: 'Be terse', messages: [user('hi')] },
        warnings: [],
      });
      assert.deepStrictEqual(passthrough({ model: 'smart', max_tokens: 10, messages: [{ role: 'system', content: [cached] }, user('hi')] }).body.system, [cached]);
    });

    it("joins them after the caller's system, string or blocks, as text blocks in order", () => {
      const messages = [{ role: 'system', content: 'Answer in French.' }, { role: 'system', content: [cached] }, user('hi')];
      const lifted = [{ type: 'text', text: 'Answer in French.' }, cached];
      assert.deepStrictEqual(passthrough({ model: 'smart', max_tokens: 10, system: 'Be terse.', messages }).body, {
        model: 'claude-sonnet-4-5',
        max_tokens: 10,
        system: [{ type: 'text', text: 'Be terse.' }, ...lifted],
        messages: [user('hi')],
      });
      const blocks = [{ type: 'text', text: 'Be terse.', cache_control: { type: 'ephemeral' } }];
      assert.deepStrictEqual(passthrough({ model: 'smart', max_tokens: 10, system: blocks, messages }).body.system, [...blocks, ...lifted]);
      assert.deepStrictEqual(passthrough({ model: 'smart', max_tokens: 10, system: '', messages }).body.system, lifted, 'an empty system is no text block');
    });

    it('moves one that stands mid-conversation into system too, in order, with a warning naming it', () => {
      const native = {
        model: 'smart',
        max_tokens: 10,
        messages: [user('hi'), { role: 'assistant', content: 'Hello.' }, { role: 'system', content: 'Now answer in French.' }, user('again')],
        temperature: 0.5,
      };
      const { body, warnings } = passthrough(native);
      assert.deepStrictEqual(body, {
        model: 'claude-sonnet-4-5',
        max_tokens: 10,
        system: 'Now answer in French.',
        messages: [user('hi'), { role: 'assistant', content: 'Hello.' }, user('again')],
        temperature: 0.5,
      });
      assert.deepStrictEqual(warnings, [
        {
          type: 'other',
          setting: 'messages[2]',
          message: 'Anthropic takes system instructions only before the conversation; the system message at messages[2] was moved into the top-level system prompt',
        },
      ]);
      assert.equal(native.messages.length, 4, "the caller's body is not mutated");
    });

    it('gives the same system texts, in the same order, as the conversion of the typed request', () => {
      const typed = convertRequest(
        {
          ...base,
          messages: [
            { role: 'system', content: [{ type: 'text', text: 'Be terse.' }] },
            { role: 'system', content: [{ type: 'text', text: 'Answer in French.' }] },
            { role: 'user', content: [{ type: 'text', text: 'hi' }] },
            { role: 'system', content: [{ type: 'text', text: 'Now in English.' }] },
            { role: 'user', content: [{ type: 'text', text: 'again' }] },
          ],
        },
        call,
      );
      const native = passthrough({
        model: 'smart',
        max_tokens: 10,
        system: 'Be terse.',
        messages: [{ role: 'system', content: 'Answer in French.' }, user('hi'), { role: 'system', content: 'Now in English.' }, user('again')],
      });
      assert.deepStrictEqual(native.body.system, typed.body.system);
      // The typed request counts the caller's system as messages[0]: only the moved message's index differs.
      assert.deepStrictEqual(
        [native.warnings.map((warning) => warning.setting), typed.warnings.map((warning) => warning.setting)],
        [['messages[2]'], ['messages[3]']],
      );
    });
  });
});
