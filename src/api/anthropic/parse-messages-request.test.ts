import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import { formatAnthropicError } from './format-error.ts';
import { parseCountTokensRequest, parseMessagesRequest } from './parse-messages-request.ts';

const minimal = { model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello, Claude' }] };

/** Asserts a 400 whose message matches. */
function rejects(body: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseMessagesRequest(body, {}),
    (error: unknown) => {
      assert.ok(GatewayError.isInstance(error), String(error));
      assert.equal(error.code, 'SB_ERR_INVALID_REQUEST');
      assert.equal(error.status, 400);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('parseMessagesRequest: Anthropic Messages body → ChatRequest', () => {
  it('maps the minimal body (a string content is one text block) and keeps the body as native', () => {
    const expected: ChatRequest = {
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello, Claude' }] }],
      maxOutputTokens: 1024,
      stream: false,
      includeUsage: false,
      metadata: {},
      hints: {},
      native: { format: 'anthropic-messages', body: minimal },
    };
    assert.deepStrictEqual(parseMessagesRequest(minimal, {}), expected);
  });

  it('maps every sampling parameter, the system prompt, metadata.user_id, thinking and streaming', () => {
    const body = {
      model: 'smart',
      max_tokens: 4096,
      system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Answer in French.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Bonjour' }] }],
      stop_sequences: ['END', '\n\nHuman:'],
      temperature: 0.3,
      top_p: 0.9,
      top_k: 40,
      stream: true,
      metadata: { user_id: 'user-42' },
      thinking: { type: 'enabled', budget_tokens: 2048 },
      service_tier: 'auto',
    };
    const expected: ChatRequest = {
      model: 'smart',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'You are terse.', cacheBreakpoint: {} }, { type: 'text', text: 'Answer in French.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Bonjour' }] },
      ],
      temperature: 0.3,
      topP: 0.9,
      topK: 40,
      stop: ['END', '\n\nHuman:'],
      user: 'user-42',
      thinkingBudgetTokens: 2048,
      maxOutputTokens: 4096,
      stream: true,
      includeUsage: false,
      metadata: { team: 'search' },
      hints: {},
      native: { format: 'anthropic-messages', body, nativeOnly: ['service_tier', 'cache_control'] },
    };
    assert.deepStrictEqual(parseMessagesRequest(body, { team: 'search' }), expected);
  });

  // An outside probe: ../shared/SPEC.md names a body `metadata` object as a routing hint, which
  // /v1/messages refused for every key but Anthropic's user_id.
  it('reads metadata keys other than user_id as routing metadata, and sends Anthropic user_id alone', () => {
    const parsed = parseMessagesRequest({ ...minimal, metadata: { user_id: 'u-1', task: 'code' } }, { team: 'search', task: 'chat' });
    assert.deepStrictEqual(parsed.metadata, { team: 'search', task: 'code' }, 'the body extends the header');
    assert.equal(parsed.user, 'u-1');
    assert.deepStrictEqual(parsed.native?.body.metadata, { user_id: 'u-1' });
    const routingOnly = parseMessagesRequest({ ...minimal, metadata: { task: 'code' } }, {});
    assert.deepStrictEqual(routingOnly.metadata, { task: 'code' });
    assert.equal('metadata' in routingOnly.native!.body, false);
    const anthropicOnly = { ...minimal, metadata: { user_id: 'u-2' } };
    assert.equal(parseMessagesRequest(anthropicOnly, {}).native?.body.metadata, anthropicOnly.metadata, 'a body with user_id alone goes as it came');
  });

  it('maps tools and each tool_choice, with disable_parallel_tool_use', () => {
    const tools = [
      { name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      { type: 'custom', name: 'get_time', input_schema: { type: 'object' }, strict: true },
    ];
    const parse = (tool_choice: unknown) => parseMessagesRequest({ ...minimal, tools, tool_choice }, {});
    const parsed = parse({ type: 'any', disable_parallel_tool_use: true });
    assert.deepStrictEqual(parsed.tools, [
      { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      { name: 'get_time', parameters: { type: 'object' }, strict: true },
    ]);
    assert.equal(parsed.toolChoice, 'required');
    assert.equal(parsed.parallelToolCalls, false);
    assert.equal(parse({ type: 'auto' }).toolChoice, 'auto');
    assert.equal(parse({ type: 'auto' }).parallelToolCalls, undefined);
    assert.equal(parse({ type: 'none' }).toolChoice, 'none');
    assert.deepStrictEqual(parse({ type: 'tool', name: 'get_time', disable_parallel_tool_use: false }).toolChoice, { type: 'tool', name: 'get_time' });
    assert.equal(parse({ type: 'tool', name: 'get_time', disable_parallel_tool_use: false }).parallelToolCalls, true);
  });

  it('turns a tool round trip into assistant tool calls and tool messages placed before the text of the same turn', () => {
    const body = {
      ...minimal,
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Two cities: two calls.', signature: 'sig-abc' },
            { type: 'redacted_thinking', data: 'opaque-bytes' },
            { type: 'text', text: 'Checking both.' },
            { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_02', name: 'get_weather', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_01', content: '18C and sunny' },
            { type: 'tool_result', tool_use_id: 'toolu_02', is_error: true, content: [{ type: 'text', text: 'city required' }, { type: 'image', source: { type: 'url', url: 'https://example.com/map.png' } }] },
            { type: 'text', text: 'Then summarise.' },
          ],
        },
      ],
    };
    assert.deepStrictEqual(parseMessagesRequest(body, {}).messages, [
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'Two cities: two calls.', signature: 'sig-abc' },
          { type: 'reasoning', text: '', redacted: 'opaque-bytes' },
          { type: 'text', text: 'Checking both.' },
          { type: 'tool-call', id: 'toolu_01', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { type: 'tool-call', id: 'toolu_02', name: 'get_weather', arguments: '{}' },
        ],
      },
      { role: 'tool', toolCallId: 'toolu_01', content: [{ type: 'text', text: '18C and sunny' }] },
      {
        role: 'tool',
        toolCallId: 'toolu_02',
        content: [{ type: 'text', text: 'city required' }, { type: 'image', url: 'https://example.com/map.png' }],
        isError: true,
      },
      { role: 'user', content: [{ type: 'text', text: 'Then summarise.' }] },
    ]);
  });

  it('turns images (base64 and url) into image parts and a base64 PDF document into a file part', () => {
    const body = {
      ...minimal,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' }, title: 'Report' },
            { type: 'text', text: 'Describe these.' },
          ],
        },
      ],
    };
    assert.deepStrictEqual(parseMessagesRequest(body, {}).messages, [
      {
        role: 'user',
        content: [
          { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=' },
          { type: 'image', url: 'https://example.com/cat.jpg' },
          { type: 'file', mediaType: 'application/pdf', data: 'JVBERi0x', filename: 'Report' },
          { type: 'text', text: 'Describe these.' },
        ],
      },
    ]);
  });

  it('keeps an assistant prefill, drops an empty system prompt, and maps output_config.format to a JSON schema', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const parsed = parseMessagesRequest(
      { ...minimal, system: '', messages: [...minimal.messages, { role: 'assistant', content: 'The answer is (' }], output_config: { format: { type: 'json_schema', schema } } },
      {},
    );
    assert.deepStrictEqual(parsed.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Hello, Claude' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'The answer is (' }] },
    ]);
    assert.deepStrictEqual(parsed.responseFormat, { type: 'json_schema', name: 'output', schema });
  });

  it('reads routing hints and removes them from native; unknown fields stay in native', () => {
    const body = { ...minimal, models: ['fast', 'backup'], provider: { order: ['oai'], allow_fallbacks: false, max_price: { prompt: 1 } }, container: 'c1' };
    const parsed = parseMessagesRequest(body, {});
    assert.deepStrictEqual(parsed.hints, { models: ['fast', 'backup'], provider: { order: ['oai'], allowFallbacks: false, maxPrice: { prompt: 1 } } });
    assert.deepStrictEqual(parsed.native, { format: 'anthropic-messages', body: { ...minimal, container: 'c1' }, nativeOnly: ['container'] });
    assert.ok('models' in body, "the caller's object is not modified");
  });

  it('carries cache_control on text (system, turns, tool results) as breakpoints, and names the marks it cannot carry', () => {
    const request = parseMessagesRequest(
      {
        ...minimal,
        cache_control: { type: 'ephemeral' },
        system: [{ type: 'text', text: 'Rules.', cache_control: { type: 'ephemeral', ttl: '1h' } }],
        tools: [{ name: 'lookup', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } }],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Look it up.', cache_control: { type: 'ephemeral' } }] },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} }] },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'found' }, { type: 'image', source: { type: 'url', url: 'https://x.test/a.png' } }], cache_control: { type: 'ephemeral' } },
              { type: 'image', source: { type: 'url', url: 'https://x.test/b.png' }, cache_control: { type: 'ephemeral' } },
            ],
          },
        ],
      },
      {},
    );
    assert.deepStrictEqual(request.messages[0], { role: 'system', content: [{ type: 'text', text: 'Rules.', cacheBreakpoint: { minTtlSeconds: 3600 } }] });
    assert.deepStrictEqual(request.messages[1], { role: 'user', content: [{ type: 'text', text: 'Look it up.', cacheBreakpoint: {} }] });
    assert.deepStrictEqual(request.messages[3]?.content[0], { type: 'text', text: 'found', cacheBreakpoint: {} }, "the tool result block's mark on its last text");
    assert.deepStrictEqual(request.tools, [{ name: 'lookup', parameters: { type: 'object' }, cacheBreakpoint: {} }], "the tool's mark, which Bedrock sends as a cache point after it");
    assert.deepStrictEqual(request.native?.nativeOnly, ['cache_control (top level)', 'tools[].cache_control', 'cache_control', 'cache_control on images, documents and tool calls']);
  });

  // An outside review: output_config.effort was accepted, then left out for an OpenAI model without a trace.
  it('maps output_config.effort to the reasoning effort of the same name', () => {
    for (const effort of ['low', 'medium', 'high', 'xhigh', 'max']) {
      assert.equal(parseMessagesRequest({ ...minimal, output_config: { effort } }, {}).reasoningEffort, effort);
    }
    assert.equal(parseMessagesRequest({ ...minimal, output_config: { effort: null } }, {}).reasoningEffort, undefined);
    rejects({ ...minimal, output_config: { effort: 'minimal' } }, /effort/);
  });

  // An outside review: these reached an Anthropic model only, and another model's ledger row did not say so.
  it('names adaptive thinking, tool fields beyond the definition and document citations/context as Anthropic-only settings', () => {
    const body = {
      ...minimal,
      thinking: { type: 'adaptive' },
      tools: [{ name: 'lookup', input_schema: { type: 'object' }, input_examples: [{ q: 'x' }], defer_loading: true, strict: true }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' }, citations: { enabled: true }, context: 'Q3 figures' },
            { type: 'text', text: 'Summarise.' },
          ],
        },
      ],
    };
    assert.deepStrictEqual(parseMessagesRequest(body, {}).native?.nativeOnly, ['thinking', 'tools.input_examples', 'tools.defer_loading', 'document.citations', 'document.context']);
    assert.equal(parseMessagesRequest({ ...minimal, thinking: { type: 'disabled' } }, {}).native?.nativeOnly, undefined, 'disabled thinking is every provider\'s default');
  });

  it('accepts adaptive and disabled thinking without a budget', () => {
    assert.equal(parseMessagesRequest({ ...minimal, thinking: { type: 'adaptive' } }, {}).thinkingBudgetTokens, undefined);
    assert.equal(parseMessagesRequest({ ...minimal, thinking: { type: 'disabled' } }, {}).thinkingBudgetTokens, undefined);
  });

  it('takes system instructions as role "system" messages (API version 2026-10-21), in place', () => {
    const request = parseMessagesRequest(
      { model: 'm', max_tokens: 5, messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'hi' }, { role: 'system', content: [{ type: 'text', text: 'Now French.' }] }, { role: 'user', content: 'again' }] },
      {},
    );
    assert.deepEqual(request.messages, [
      { role: 'system', content: [{ type: 'text', text: 'Be terse.' }] },
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      { role: 'system', content: [{ type: 'text', text: 'Now French.' }] },
      { role: 'user', content: [{ type: 'text', text: 'again' }] },
    ]);
  });

  describe('rejects with a 400 what Anthropic rejects or Switchboard cannot route', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['a non-object body', [1, 2], /JSON object/],
      ['no max_tokens', { model: 'm', messages: minimal.messages }, /'max_tokens': Field required/],
      ['no model', { max_tokens: 5, messages: minimal.messages }, /'model': Field required/],
      ['no messages', { model: 'm', max_tokens: 5 }, /'messages': Field required/],
      ['empty messages', { ...minimal, messages: [] }, /at least one message/],
      ['an unknown role', { ...minimal, messages: [{ role: 'wizard', content: 'x' }] }, /messages\[0\]\.role.*'user', 'assistant' or 'system'/],
      ['an empty text block', { ...minimal, messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }, /non-empty/],
      ['temperature above 1', { ...minimal, temperature: 1.5 }, /'temperature'/],
      ['null temperature', { ...minimal, temperature: null }, /'temperature'/],
      ['a thinking budget under 1024', { ...minimal, thinking: { type: 'enabled', budget_tokens: 100 } }, /thinking\.budget_tokens/],
      ['metadata values that are not strings', { ...minimal, metadata: { task: 5 } }, /metadata.*task/],
      ['a server tool', { ...minimal, tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }] }, /tools\[0\]\.type.*only custom tools/],
      ['a tool without input_schema', { ...minimal, tools: [{ name: 'x' }] }, /tools\[0\]\.input_schema/],
      ['a search_result block', { ...minimal, messages: [{ role: 'user', content: [{ type: 'search_result', source: 's', title: 't', content: [] }] }] }, /user content blocks must be/],
      ['an image in an assistant turn', { ...minimal, messages: [{ role: 'assistant', content: [{ type: 'image', source: { type: 'url', url: 'https://x' } }] }] }, /assistant content blocks must be/],
      ['a url document', { ...minimal, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url: 'https://x/a.pdf' } }] }] }, /base64 PDF/],
      ['an unsupported image media type', { ...minimal, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'x' } }] }] }, /media_type/],
      ['tool_choice any without tools', { ...minimal, tool_choice: { type: 'any' } }, /requires tools/],
      ['tool_choice naming a missing tool', { ...minimal, tools: [{ name: 'a', input_schema: { type: 'object' } }], tool_choice: { type: 'tool', name: 'b' } }, /"b", which is not in tools/],
      [
        'a tool_result without its tool_use',
        { ...minimal, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'r' }] }] },
        /messages\.0\.content\.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_x/,
      ],
      [
        'a tool_use not answered in the next message',
        {
          ...minimal,
          messages: [
            { role: 'user', content: 'hi' },
            { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_a', name: 'f', input: {} }, { type: 'tool_use', id: 'toolu_b', name: 'f', input: {} }] },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_a' }] },
          ],
        },
        /messages\.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_b/,
      ],
      [
        'a tool_result answering an older turn',
        {
          ...minimal,
          messages: [
            { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_a', name: 'f', input: {} }] },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_a' }] },
            { role: 'assistant', content: 'ok' },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_a' }] },
          ],
        },
        /messages\.3\.content\.0: unexpected `tool_use_id`/,
      ],
      // CreateMessageParams.service_tier in ../shared/specs/anthropic/openapi.json: enum auto, standard_only.
      ['a service_tier outside the spec\'s enum', { ...minimal, service_tier: 'bogus' }, /service_tier': Invalid option: expected one of "auto"\|"standard_only"/],
      ['a null service_tier', { ...minimal, service_tier: null }, /service_tier/],
      ['a tool_use id with other characters', { ...minimal, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 'call 1', name: 'f', input: {} }] }] }, /\^\[a-zA-Z0-9_-\]\+\$/],
    ];
    for (const [name, body, pattern] of cases) it(name, () => rejects(body, pattern));
  });
});

describe('thread (message threads of @anthropic-ai/sdk 1.x)', () => {
  it("refuses a thread with Anthropic's thread_unsupported_request, create and continue alike, and takes null as absent", () => {
    for (const thread of [{ type: 'create' }, { type: 'continue', previous_message_id: 'msg_1' }]) {
      assert.throws(
        () => parseMessagesRequest({ ...minimal, thread }, {}),
        (error: unknown) => {
          assert.ok(GatewayError.isInstance(error), String(error));
          assert.equal(error.status, 400);
          assert.equal(error.param, 'thread');
          assert.equal(error.publicCode, 'thread_unsupported_request');
          assert.deepStrictEqual(formatAnthropicError(error).error.details, { error_code: 'thread_unsupported_request' });
          return true;
        },
      );
    }
    assert.equal(parseMessagesRequest({ ...minimal, thread: null }, {}).native?.nativeOnly, undefined);
  });
});

describe('service_tier', () => {
  it('takes both values of the spec, and relays them unchanged', () => {
    for (const tier of ['auto', 'standard_only']) {
      const body = { ...minimal, service_tier: tier };
      assert.deepStrictEqual(parseMessagesRequest(body, {}).native?.body, body);
    }
  });
});

describe('parseCountTokensRequest', () => {
  it('takes the body without max_tokens', () => {
    const parsed = parseCountTokensRequest({ model: 'm', system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }] });
    assert.deepStrictEqual(parsed.messages, [
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
    ]);
    assert.equal(parsed.maxOutputTokens, undefined);
  });
});
