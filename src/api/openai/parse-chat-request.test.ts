import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import { parseChatRequest } from './parse-chat-request.ts';

const hi = [{ role: 'user', content: 'hi' }];
const minimal = { model: 'fast', messages: hi };

/** Asserts a 400 whose message matches, naming `param` when given. */
function rejects(body: unknown, pattern: RegExp, param?: string): GatewayError {
  let caught: GatewayError | undefined;
  assert.throws(
    () => parseChatRequest(body, {}),
    (error: unknown) => {
      assert.ok(GatewayError.isInstance(error), String(error));
      assert.equal(error.code, 'SB_ERR_INVALID_REQUEST');
      assert.equal(error.status, 400);
      assert.match(error.message, pattern);
      if (param !== undefined) assert.equal(error.param, param);
      caught = error;
      return true;
    },
  );
  return caught!;
}

describe('parseChatRequest: OpenAI Chat Completions body → ChatRequest', () => {
  it('maps the minimal body, keeping the body as native', () => {
    const expected: ChatRequest = {
      model: 'fast',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      stream: false,
      includeUsage: false,
      metadata: {},
      hints: {},
      native: { format: 'openai-chat', body: minimal },
    };
    assert.deepStrictEqual(parseChatRequest(minimal, {}), expected);
  });

  it('maps every message role and part type', () => {
    const request = parseChatRequest(
      {
        model: 'fast',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: [{ type: 'text', text: 'Use French.' }] },
          {
            role: 'user',
            name: 'ann',
            content: [
              { type: 'text', text: 'Look:' },
              { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
              { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'mp3' } },
              { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } },
            ],
          },
          { role: 'assistant', content: null, reasoning_content: 'thinking', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } }] },
          { role: 'tool', tool_call_id: 'call_1', content: 'found' },
        ],
      },
      {},
    );
    assert.deepStrictEqual(request.messages, [
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'system', content: [{ type: 'text', text: 'Use French.' }], developer: true },
      {
        role: 'user',
        name: 'ann',
        content: [
          { type: 'text', text: 'Look:' },
          { type: 'image', url: 'https://example.com/a.png', detail: 'low' },
          { type: 'file', mediaType: 'audio/mpeg', data: 'UklGRg==' },
          { type: 'file', mediaType: 'application/pdf', data: 'JVBERi0=', filename: 'a.pdf' },
        ],
      },
      { role: 'assistant', content: [{ type: 'reasoning', text: 'thinking' }, { type: 'tool-call', id: 'call_1', name: 'lookup', arguments: '{"q":1}' }] },
      { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: 'found' }] },
    ]);
  });

  // An outside review: an earlier refusal was left out of the history sent to other providers, without a word.
  it("keeps an earlier assistant refusal (the refusal field or a refusal part) as the assistant's text", () => {
    const request = parseChatRequest(
      {
        model: 'fast',
        messages: [
          { role: 'user', content: 'How do I pick a lock?' },
          { role: 'assistant', content: null, refusal: "I can't help with that." },
          { role: 'user', content: 'And this one?' },
          { role: 'assistant', content: [{ type: 'refusal', refusal: 'No.' }] },
          { role: 'user', content: 'Fine.' },
        ],
      },
      {},
    );
    assert.deepStrictEqual(request.messages.filter((message) => message.role === 'assistant'), [
      { role: 'assistant', content: [{ type: 'text', text: "I can't help with that." }] },
      { role: 'assistant', content: [{ type: 'text', text: 'No.' }] },
    ]);
  });

  // An outside review: a system message's name was lost on the way to other providers, without a word.
  it('names the name of a system or developer message as a setting only a provider of this format gets', () => {
    const request = parseChatRequest(
      { model: 'fast', messages: [{ role: 'system', name: 'policy', content: 'Be brief.' }, { role: 'developer', content: 'x' }, { role: 'developer', name: 'dev', content: 'y' }, ...hi] },
      {},
    );
    assert.deepStrictEqual(request.native?.nativeOnly, ['messages[0].name', 'messages[2].name']);
    assert.equal(parseChatRequest(minimal, {}).native?.nativeOnly, undefined);
  });

  it('maps sampling, tools, response format and streaming; max_completion_tokens wins over max_tokens', () => {
    const request = parseChatRequest(
      {
        ...minimal,
        tools: [{ type: 'function', function: { name: 'lookup', description: 'Look up', parameters: { type: 'object', properties: { q: { type: 'string' } } }, strict: true } }],
        tool_choice: { type: 'function', function: { name: 'lookup' } },
        parallel_tool_calls: false,
        response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
        max_tokens: 10,
        max_completion_tokens: 20,
        temperature: 0.5,
        top_p: 0.9,
        stop: 'END',
        seed: 7,
        n: 2,
        presence_penalty: 0.1,
        frequency_penalty: -0.1,
        logprobs: true,
        top_logprobs: 3,
        user: 'u-1',
        reasoning_effort: 'low',
        stream: true,
        stream_options: { include_usage: true },
      },
      {},
    );
    assert.deepStrictEqual(request.tools, [{ name: 'lookup', description: 'Look up', parameters: { type: 'object', properties: { q: { type: 'string' } } }, strict: true }]);
    assert.deepStrictEqual(request.toolChoice, { type: 'tool', name: 'lookup' });
    assert.equal(request.parallelToolCalls, false);
    assert.deepStrictEqual(request.responseFormat, { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true });
    assert.equal(request.maxOutputTokens, 20);
    assert.deepStrictEqual(
      [request.temperature, request.topP, request.stop, request.seed, request.n, request.presencePenalty, request.frequencyPenalty, request.logprobs, request.topLogprobs, request.user, request.reasoningEffort],
      [0.5, 0.9, ['END'], 7, 2, 0.1, -0.1, true, 3, 'u-1', 'low'],
    );
    assert.equal(request.stream, true);
    assert.equal(request.includeUsage, true);
  });

  it('names the provider fields the router does not act on within bounds: 16 at most, each cut short', () => {
    const provider: Record<string, unknown> = { order: ['oai'], ['k'.repeat(100_000)]: 1 };
    for (let index = 0; index < 1_000; index += 1) provider[`field${index}`] = true;
    const { hints } = parseChatRequest({ ...minimal, provider }, {});
    assert.equal(hints.ignored?.length, 17);
    assert.ok(hints.ignored!.every((name) => name.length < 200), 'a name not cut short');
    assert.match(hints.ignored![0]!, /^provider\.k{111}… \(99889 more characters\)$/);
    assert.equal(hints.ignored!.at(-1), '985 more');
    assert.deepEqual(parseChatRequest({ ...minimal, provider: { zdr: true, max_price: { request: 1 } } }, {}).hints.ignored, ['provider.zdr', 'provider.max_price.request']);
  });

  it('reads routing hints and metadata (the body extends the header), and keeps them out of native', () => {
    const body = { ...minimal, metadata: { task: 'code' }, models: ['fast', 'oai/gpt-4o'], provider: { order: ['oai'], allow_fallbacks: false }, logit_bias: { '50256': -100 } };
    const request = parseChatRequest(body, { env: 'prod', task: 'chat' });
    assert.deepStrictEqual(request.metadata, { env: 'prod', task: 'code' });
    assert.deepStrictEqual(request.hints, { models: ['fast', 'oai/gpt-4o'], provider: { order: ['oai'], allowFallbacks: false } });
    assert.deepStrictEqual(request.native, { format: 'openai-chat', body: { ...minimal, logit_bias: { '50256': -100 } } });
    assert.ok('models' in body, "the caller's object is not modified");
  });

  it("takes OpenRouter's models without a model: the first is the model asked for, the rest its fallbacks", () => {
    const request = parseChatRequest({ messages: hi, models: ['fast', 'smart'] }, {});
    assert.equal(request.model, 'fast');
    assert.deepStrictEqual(request.hints, { models: ['smart'] });
    assert.deepStrictEqual(request.native?.body, { messages: hi, model: 'fast' });
    rejects({ messages: hi, models: [] }, /you must provide a model parameter/, 'model');
  });

  it('relays fields of OpenAI and of OpenAI-compatible servers it does not model', () => {
    const body = { ...minimal, store: true, service_tier: 'flex', min_p: 0.1, repetition_penalty: 1.1, guided_json: { type: 'object' }, top_a: 0.2, my_server_flag: true };
    assert.deepStrictEqual(parseChatRequest(body, {}).native?.body, body);
  });

  it('refuses a near miss of a known field, naming the field and suggesting the right one', () => {
    rejects({ ...minimal, temprature: 0.5 }, /Unrecognized request argument supplied: temprature\. Did you mean 'temperature'\?/, 'temprature');
    rejects({ ...minimal, max_token: 5 }, /Did you mean 'max_tokens'\?/, 'max_token');
    rejects({ ...minimal, 'top-p': 0.5 }, /Did you mean 'top_p'\?/, 'top-p');
    rejects({ ...minimal, maxTokens: 5 }, /Did you mean 'max_tokens'\?/, 'maxTokens');
    rejects({ ...minimal, frequence_penalty: 1 }, /Did you mean 'frequency_penalty'\?/);
  });

  it('refuses field names no provider has: prototype keys and names that are not parameter names', () => {
    rejects(JSON.parse('{"model":"fast","messages":[{"role":"user","content":"hi"}],"__proto__":{"x":1}}'), /not a parameter name/, '__proto__');
    rejects({ ...minimal, constructor: {} }, /not a parameter name/);
    rejects({ ...minimal, 'bad name\n': 1 }, /"bad name\\n".*not a parameter name/);
  });

  it('refuses model names with control or non-ASCII characters, and over-long ones', () => {
    for (const model of ['oai/m\r\nx: 1', 'oai/m\u0000x', 'oai/модель', 'x'.repeat(257)]) rejects({ model, messages: hi }, /model names/, 'model');
    rejects({ ...minimal, models: ['fast', 'oai/a\nb'] }, /model names are printable ASCII/, 'models[1]');
  });

  it('refuses empty content arrays (minItems 1 in the spec) in every role', () => {
    rejects({ model: 'fast', messages: [{ role: 'user', content: [] }] }, /content arrays must not be empty/, 'messages[0].content');
    rejects({ model: 'fast', messages: [{ role: 'system', content: [] }, ...hi] }, /must not be empty/, 'messages[0].content');
    rejects({ model: 'fast', messages: [...hi, { role: 'assistant', content: [] }] }, /must not be empty/, 'messages[1].content');
  });

  it('stops at the first problem of a huge wrong array, fast, with a short message', () => {
    const tooMany = { model: 'fast', messages: new Array(150_000).fill({ role: 'tool', content: 'x', tool_call_id: '' }) };
    const allWrong = { model: 'fast', messages: new Array(90_000).fill({ role: 'tool', content: 'x', tool_call_id: '' }) };
    const started = performance.now();
    const error = rejects(tooMany, /100000/, 'messages');
    const elements = rejects(allWrong, /tool_call_id/, 'messages[0].tool_call_id');
    // Collecting every issue took seconds (one issue per element, each with its path and message).
    assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms`);
    assert.ok(error.message.length < 200);
    assert.ok(elements.message.length < 200);
  });

  it('refuses what OpenAI refuses across fields, quoting names briefly', () => {
    rejects({ ...minimal, stream_options: { include_usage: true } }, /only allowed when stream is true/, 'stream_options');
    rejects({ ...minimal, top_logprobs: 2 }, /logprobs must be set to true/, 'top_logprobs');
    rejects({ ...minimal, tool_choice: 'required' }, /only allowed when tools are specified/, 'tool_choice');
    const long = rejects(
      { ...minimal, tools: [{ type: 'function', function: { name: 'a' } }], tool_choice: { type: 'function', function: { name: 'b'.repeat(5000) } } },
      /which is not in tools/,
      'tool_choice',
    );
    assert.ok(long.message.length < 300, 'a 5,000-character name is not echoed whole');
    rejects({ model: 'fast', messages: [...hi, { role: 'tool', tool_call_id: 'call_x', content: 'r' }] }, /must be a response to a preceding message with 'tool_calls'/, 'messages[1].tool_call_id');
    rejects({ model: 'fast', messages: [{ role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] }, ...hi] }, /did not have response messages: call_1/, 'messages[0]');
  });

  it('reads prompt-caching breakpoints of text parts (prompt_cache_breakpoint, or cache_control as OpenRouter takes it) with the TTL asked', () => {
    const body = {
      model: 'fast',
      prompt_cache_options: { ttl: '30m' },
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Rules.', prompt_cache_breakpoint: { mode: 'explicit' } }] },
        { role: 'user', content: [{ type: 'text', text: 'Doc.', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Q?', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
        { role: 'assistant', content: [{ type: 'text', text: 'A.', prompt_cache_breakpoint: { mode: 'explicit' } }] },
      ],
    };
    const request = parseChatRequest(body, {});
    const [system, user, assistant] = request.messages as [Extract<ChatRequest['messages'][number], { role: 'system' }>, Extract<ChatRequest['messages'][number], { role: 'user' }>, Extract<ChatRequest['messages'][number], { role: 'assistant' }>];
    assert.deepStrictEqual(system.content, [{ type: 'text', text: 'Rules.', cacheBreakpoint: { minTtlSeconds: 1_800 } }]);
    assert.deepStrictEqual(user.content, [
      { type: 'text', text: 'Doc.', cacheBreakpoint: {} },
      { type: 'text', text: 'Q?', cacheBreakpoint: { minTtlSeconds: 3_600 } },
    ]);
    assert.deepStrictEqual(assistant.content, [{ type: 'text', text: 'A.', cacheBreakpoint: { minTtlSeconds: 1_800 } }]);
    // Named so that a provider that cannot take them says so on the ledger row.
    assert.deepStrictEqual([...request.native!.nativeOnly!].sort(), ['cache_control', 'prompt_cache_breakpoint']);
    assert.equal(parseChatRequest(minimal, {}).native!.nativeOnly, undefined);
    // Without prompt_cache_options.ttl a breakpoint takes the provider's default.
    const plain = parseChatRequest({ model: 'fast', messages: [{ role: 'user', content: [{ type: 'text', text: 'x', prompt_cache_breakpoint: { mode: 'explicit' } }] }] }, {});
    assert.deepStrictEqual((plain.messages[0] as { content: unknown[] }).content, [{ type: 'text', text: 'x', cacheBreakpoint: {} }]);
    rejects({ model: 'fast', messages: [{ role: 'user', content: [{ type: 'text', text: 'x', prompt_cache_breakpoint: { mode: 'implicit' } }] }] }, /prompt_cache_breakpoint/, 'messages[0].content[0].prompt_cache_breakpoint.mode');
    rejects({ model: 'fast', messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'persistent' } }] }] }, /cache_control/, 'messages[0].content[0].cache_control.type');
    rejects({ model: 'fast', messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral', ttl: '2h' } }] }] }, /cache_control/, 'messages[0].content[0].cache_control.ttl');
  });

  it('refuses bodies that are not objects and values of the wrong type or range', () => {
    for (const body of [null, [], 'text', 42, undefined]) rejects(body, /must be a JSON object/);
    rejects({ messages: hi }, /model/, 'model');
    rejects({ model: 'fast', messages: [] }, /must not be empty/, 'messages');
    rejects({ model: 'fast', messages: [{ role: 'wizard', content: 'hi' }] }, /role must be one of/, 'messages[0].role');
    rejects({ ...minimal, temperature: 3 }, /temperature/, 'temperature');
    rejects({ ...minimal, max_tokens: 0 }, /max_tokens/, 'max_tokens');
    rejects({ ...minimal, stop: ['a', 'b', 'c', 'd', 'e'] }, /stop/, 'stop');
    rejects({ ...minimal, metadata: { n: 1 } }, /metadata values must be strings/, 'metadata.n');
  });

  // Each against CreateChatCompletionRequest in ../shared/specs/openai/openapi.yaml.
  it('refuses null where the spec does not allow it: tools, tool_choice, response_format, user and the other non-nullable fields', () => {
    for (const field of ['tools', 'tool_choice', 'response_format', 'user', 'parallel_tool_calls', 'functions', 'function_call', 'web_search_options', 'prompt_cache_options']) {
      rejects({ ...minimal, [field]: null }, new RegExp(`Invalid value for '${field}'`), field);
    }
  });

  it('accepts null where the spec does (nullable: true, or anyOf with type "null")', () => {
    const nullable = [
      'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'seed', 'n', 'presence_penalty', 'frequency_penalty', 'logprobs',
      'top_logprobs', 'reasoning_effort', 'stream', 'stream_options', 'metadata', 'service_tier', 'modalities', 'verbosity', 'audio', 'store',
      'logit_bias', 'prediction', 'moderation', 'safety_identifier', 'prompt_cache_key', 'prompt_cache_retention',
    ];
    const body = { ...minimal, ...Object.fromEntries(nullable.map((field) => [field, null])) };
    const { metadata: _hint, ...relayed } = body as Record<string, unknown>;
    assert.deepStrictEqual(parseChatRequest(body, {}).native?.body, relayed);
  });

  it('refuses wrongly typed known fields, naming the field in param', () => {
    rejects({ ...minimal, stop: [] }, /stop arrays must not be empty/, 'stop');
    rejects({ ...minimal, logit_bias: 'x' }, /expected record/, 'logit_bias');
    rejects({ ...minimal, logit_bias: { '50256': 0.5 } }, /expected int/, 'logit_bias.50256');
    rejects({ ...minimal, logit_bias: { '50256': 101 } }, /100/, 'logit_bias.50256');
    rejects({ ...minimal, service_tier: 'bogus' }, /expected one of "auto"\|"default"\|"flex"\|"scale"\|"priority"\|"fast"/, 'service_tier');
    rejects({ ...minimal, reasoning_effort: 'bogus' }, /expected one of "none"\|"minimal"\|"low"\|"medium"\|"high"\|"xhigh"\|"max"/, 'reasoning_effort');
    rejects({ ...minimal, reasoning_effort: 5 }, /reasoning_effort/, 'reasoning_effort');
    rejects({ ...minimal, modalities: 'text' }, /expected array/, 'modalities');
    rejects({ ...minimal, modalities: ['text', 'video'] }, /expected one of "text"\|"audio"/, 'modalities[1]');
    rejects({ ...minimal, functions: 'x' }, /expected array/, 'functions');
    rejects({ ...minimal, functions: [] }, /functions must not be empty/, 'functions');
    rejects({ ...minimal, functions: [{ description: 'no name' }] }, /functions\[0\]\.name/, 'functions[0].name');
    rejects({ ...minimal, function_call: 'required' }, /expected one of "none"\|"auto"/, 'function_call');
    rejects({ ...minimal, prediction: 'x' }, /expected object/, 'prediction');
    rejects({ ...minimal, prediction: { type: 'content', content: [] } }, /must not be empty/, 'prediction.content');
    rejects({ ...minimal, store: 'yes' }, /expected boolean/, 'store');
    rejects({ ...minimal, audio: 5 }, /expected object/, 'audio');
    rejects({ ...minimal, audio: { voice: 'alloy', format: 'ogg' } }, /audio\.format/, 'audio.format');
    rejects({ ...minimal, audio: { voice: { id: 'voice_1', name: 'x' } , format: 'mp3' } }, /audio\.voice/, 'audio.voice');
    rejects({ ...minimal, verbosity: 'max' }, /expected one of "low"\|"medium"\|"high"/, 'verbosity');
    rejects({ ...minimal, safety_identifier: 'x'.repeat(65) }, /64/, 'safety_identifier');
    rejects({ ...minimal, prompt_cache_retention: '1h' }, /"in_memory"\|"24h"/, 'prompt_cache_retention');
    rejects({ ...minimal, prompt_cache_options: { ttl: '1h' } }, /"30m"/, 'prompt_cache_options.ttl');
    rejects({ ...minimal, web_search_options: { search_context_size: 'huge' } }, /"low"\|"medium"\|"high"/, 'web_search_options.search_context_size');
    rejects({ ...minimal, moderation: {} }, /moderation\.model/, 'moderation.model');
    rejects({ ...minimal, stream: true, stream_options: { include_obfuscation: 'no' } }, /expected boolean/, 'stream_options.include_obfuscation');
  });

  it('checks every field relayed without being read (relayedChatFields), whatever else the body holds', () => {
    for (const field of ['safety_identifier', 'prompt_cache_key', 'prompt_cache_retention', 'prompt_cache_options', 'verbosity', 'service_tier', 'modalities', 'audio', 'prediction', 'store', 'logit_bias', 'web_search_options', 'moderation', 'functions', 'function_call']) {
      rejects({ ...minimal, min_p: 0.1, [field]: 12345 }, new RegExp(`Invalid value for '${field}'`), field);
    }
  });

  it("accepts every value the spec lists, and Groq's values of reasoning_effort and service_tier", () => {
    const body = {
      ...minimal,
      service_tier: 'fast',
      reasoning_effort: 'max',
      verbosity: 'high',
      modalities: ['text', 'audio'],
      audio: { voice: { id: 'voice_1234' }, format: 'pcm16' },
      prediction: { type: 'content', content: [{ type: 'text', text: 'draft' }] },
      store: false,
      logit_bias: { '50256': -100, '1': 100 },
      functions: [{ name: 'lookup', parameters: { type: 'object' } }],
      function_call: { name: 'lookup' },
      web_search_options: { user_location: { type: 'approximate', approximate: { country: 'FR' } }, search_context_size: 'low' },
      moderation: { model: 'omni-moderation-latest' },
      prompt_cache_options: { ttl: '30m', mode: 'explicit' },
      prompt_cache_retention: '24h',
      prompt_cache_key: 'k',
      safety_identifier: 's'.repeat(64),
    };
    assert.deepStrictEqual(parseChatRequest(body, {}).native?.body, body);
    for (const effort of ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max', 'default']) {
      assert.equal(parseChatRequest({ ...minimal, reasoning_effort: effort }, {}).reasoningEffort, effort);
    }
    for (const tier of ['auto', 'default', 'flex', 'scale', 'priority', 'fast', 'on_demand', 'performance']) parseChatRequest({ ...minimal, service_tier: tier }, {});
  });
});
