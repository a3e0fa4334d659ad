import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import type { ImageFetcher } from '../../core/http-client.ts';
import { toolUseId } from './convert-messages.ts';
import { convertRequest } from './convert-request.ts';
import { convertResponse, mapStopReason } from './convert-response.ts';
import type { ConverseResponseBody } from './wire-types.ts';

const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const base: ChatRequest = { model: 'claude', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, includeUsage: false, metadata: {}, hints: {} };
const claude = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const fetched: string[] = [];
const images: ImageFetcher = {
  async fetch(url) {
    fetched.push(url);
    return { mediaType: 'image/jpeg', data: new Uint8Array([1, 2, 3]) };
  },
};
const context = { images, signal: new AbortController().signal };
const convert = (request: Partial<ChatRequest>, model = claude) => convertRequest({ ...base, ...request }, model, context);
const weather = { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };

describe('bedrock request conversion (ChatRequest → Converse body)', () => {
  it('builds the exact Converse body: system, merged turns, image bytes, tools, inference and model fields', async () => {
    const { body, warnings } = await convert({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Weather here?' }, { type: 'image', url: `data:image/png;base64,${png}` }] },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'Need the tool.', signature: 'sig-1' },
            { type: 'text', text: '' },
            { type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { type: 'tool-call', id: 'call_2', name: 'get_weather', arguments: '{"city":"Lyon"}' },
          ],
        },
        { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '18C' }] },
        { role: 'tool', toolCallId: 'call_2', content: [{ type: 'text', text: 'failed' }], isError: true },
        { role: 'user', content: [{ type: 'text', text: 'Thanks, and tomorrow?' }] },
      ],
      tools: [weather],
      toolChoice: { type: 'tool', name: 'get_weather' },
      maxOutputTokens: 300,
      temperature: 0.2,
      topP: 0.9,
      stop: ['END'],
      topK: 40,
      thinkingBudgetTokens: 1024,
      responseFormat: { type: 'json_schema', name: 'forecast', schema: { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] } },
      seed: 7,
      user: 'u-1',
    });
    assert.deepStrictEqual(body, {
      messages: [
        { role: 'user', content: [{ text: 'Weather here?' }, { image: { format: 'png', source: { bytes: png } } }] },
        {
          role: 'assistant',
          content: [
            { reasoningContent: { reasoningText: { text: 'Need the tool.', signature: 'sig-1' } } },
            { toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } },
            { toolUse: { toolUseId: 'call_2', name: 'get_weather', input: { city: 'Lyon' } } },
          ],
        },
        {
          role: 'user',
          content: [
            { toolResult: { toolUseId: 'call_1', content: [{ text: '18C' }] } },
            { toolResult: { toolUseId: 'call_2', content: [{ text: 'failed' }], status: 'error' } },
            { text: 'Thanks, and tomorrow?' },
          ],
        },
      ],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 300, temperature: 0.2, topP: 0.9, stopSequences: ['END'] },
      toolConfig: {
        tools: [{ toolSpec: { name: 'get_weather', description: 'Current weather', inputSchema: { json: weather.parameters } } }],
        toolChoice: { tool: { name: 'get_weather' } },
      },
      outputConfig: {
        textFormat: {
          type: 'json_schema',
          structure: { jsonSchema: { schema: '{"type":"object","properties":{"summary":{"type":"string"}},"required":["summary"]}', name: 'forecast' } },
        },
      },
      additionalModelRequestFields: { top_k: 40, thinking: { type: 'enabled', budget_tokens: 1024 } },
    });
    assert.deepStrictEqual(warnings.map((warning) => warning.setting), ['seed', 'user']);
  });

  it('maps tool_choice auto and required, and adds type "object" to a schema without one', async () => {
    const auto = await convert({ tools: [{ name: 'ping', parameters: {} }], toolChoice: 'auto' });
    assert.deepStrictEqual(auto.body.toolConfig, { tools: [{ toolSpec: { name: 'ping', inputSchema: { json: { type: 'object' } } } }], toolChoice: { auto: {} } });
    const required = await convert({ tools: [{ ...weather, strict: true }], toolChoice: 'required' });
    assert.deepStrictEqual(required.body.toolConfig?.toolChoice, { any: {} });
    assert.deepStrictEqual(required.body.toolConfig?.tools[0], { toolSpec: { name: 'get_weather', description: weather.description, inputSchema: { json: weather.parameters }, strict: true } });
  });

  it('leaves the tools out for tool_choice "none", unless the history holds tool calls (then warns)', async () => {
    const plain = await convert({ tools: [weather], toolChoice: 'none' });
    assert.equal(plain.body.toolConfig, undefined);
    assert.deepStrictEqual(plain.warnings, []);
    const withHistory = await convert({
      tools: [weather],
      toolChoice: 'none',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
        { role: 'assistant', content: [{ type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: 'sunny' }] },
      ],
    });
    assert.deepStrictEqual(withHistory.body.toolConfig, { tools: [{ toolSpec: { name: 'get_weather', description: 'Current weather', inputSchema: { json: weather.parameters } } }] });
    assert.deepStrictEqual(withHistory.warnings.map((warning) => warning.setting), ['tool_choice']);
  });

  it('rejects before any call what Converse cannot answer: n > 1, logprobs, a choice without tools, bad tool arguments', async () => {
    const rejects = (request: Partial<ChatRequest>, param: string) =>
      assert.rejects(convert(request), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST' && error.param === param);
    await rejects({ n: 2 }, 'n');
    await rejects({ logprobs: true }, 'logprobs');
    await rejects({ toolChoice: 'required' }, 'tool_choice');
    await rejects({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }, { role: 'assistant', content: [{ type: 'tool-call', id: 'c', name: 'f', arguments: '[1]' }] }] }, 'messages[1].tool_calls');
    await rejects({ messages: [{ role: 'user', content: [{ type: 'image', url: 'data:image/svg+xml;base64,PHN2Zy8+' }] }] }, 'messages[0].content');
    await rejects({ messages: [{ role: 'user', content: [{ type: 'file', mediaType: 'application/pdf', fileId: 'file-abc' }] }] }, 'messages[0].content');
    await rejects({ messages: [{ role: 'user', content: [{ type: 'file', mediaType: 'audio/wav', data: 'AAAA' }] }] }, 'messages[0].content');
  });

  it('fetches https images as bytes and sends documents with a valid name', async () => {
    const { body } = await convert({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', url: 'https://example.com/cat.jpg' },
            { type: 'file', mediaType: 'application/pdf', data: 'JVBERi0=', filename: 'q3 report.v2.pdf' },
          ],
        },
      ],
    });
    assert.deepStrictEqual(fetched, ['https://example.com/cat.jpg']);
    assert.deepStrictEqual(body.messages[0]?.content, [
      { image: { format: 'jpeg', source: { bytes: 'AQID' } } },
      { document: { format: 'pdf', name: 'q3 report-v2-pdf', source: { bytes: 'JVBERi0=' } } },
    ]);
  });

  it('replaces tool call ids Bedrock would refuse by a stable hash, keeping call and result paired', async () => {
    const odd = 'call.with:odd/characters';
    const { body } = await convert({
      tools: [weather],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'x' }] },
        { role: 'assistant', content: [{ type: 'tool-call', id: odd, name: 'get_weather', arguments: '{"city":"Oslo"}' }] },
        { role: 'tool', toolCallId: odd, content: [{ type: 'text', text: 'cold' }] },
      ],
    });
    const mapped = toolUseId(odd);
    assert.match(mapped, /^tooluse_[0-9a-f]{40}$/);
    assert.deepStrictEqual(body.messages[1]?.content[0], { toolUse: { toolUseId: mapped, name: 'get_weather', input: { city: 'Oslo' } } });
    assert.deepStrictEqual(body.messages[2]?.content[0], { toolResult: { toolUseId: mapped, content: [{ text: 'cold' }] } });
    assert.equal(toolUseId('toolu_01A09q90qw90lq917835lq9'), 'toolu_01A09q90qw90lq917835lq9');
  });

  it('sends temperature alone to a Claude that takes one of temperature and top_p, with a warning; both to the others', async () => {
    const newer = await convert({ temperature: 0.3, topP: 0.9 }, 'us.anthropic.claude-sonnet-4-5-20250929-v1:0');
    assert.deepStrictEqual(newer.body.inferenceConfig, { temperature: 0.3 });
    assert.deepStrictEqual(newer.warnings.map((warning) => warning.setting), ['top_p']);
    const older = await convert({ temperature: 0.3, topP: 0.9 }, 'anthropic.claude-3-7-sonnet-20250219-v1:0');
    assert.deepStrictEqual([older.body.inferenceConfig, older.warnings], [{ temperature: 0.3, topP: 0.9 }, []]);
    assert.deepStrictEqual((await convert({ topP: 0.9 }, 'us.anthropic.claude-sonnet-4-5-20250929-v1:0')).body.inferenceConfig, { topP: 0.9 }, 'top_p alone is sent');
  });

  it('puts top_k where each model family takes it, and warns where none is known', async () => {
    assert.deepStrictEqual((await convert({ topK: 5 }, 'us.amazon.nova-pro-v1:0')).body.additionalModelRequestFields, { inferenceConfig: { topK: 5 } });
    const llama = await convert({ topK: 5, thinkingBudgetTokens: 100 }, 'meta.llama3-3-70b-instruct-v1:0');
    assert.equal(llama.body.additionalModelRequestFields, undefined);
    assert.deepStrictEqual(llama.warnings.map((warning) => warning.setting), ['top_k', 'thinking']);
    assert.deepStrictEqual((await convert({ topK: 5 }, 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0')).body.additionalModelRequestFields, { top_k: 5 });
  });

  it('warns about every setting it drops: json_object, parallel_tool_calls, penalties, reasoning without signature, unmodelled OpenAI fields', async () => {
    const { body, warnings } = await convert({
      responseFormat: { type: 'json_object' },
      tools: [weather],
      parallelToolCalls: false,
      presencePenalty: 0.5,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'x' }], name: 'ann' },
        { role: 'assistant', content: [{ type: 'reasoning', text: 'thought elsewhere' }, { type: 'text', text: 'ok' }] },
        { role: 'user', content: [{ type: 'text', text: 'y' }] },
      ],
      native: { format: 'openai-chat', body: { model: 'claude', messages: [], logit_bias: { '1': 2 }, service_tier: null } },
    });
    assert.deepStrictEqual(body.messages[1], { role: 'assistant', content: [{ text: 'ok' }] });
    assert.deepStrictEqual(warnings.map((warning) => warning.setting), ['messages[0].name', 'messages[1].reasoning', 'parallel_tool_calls', 'response_format', 'presence_penalty', 'logit_bias']);
  });
});

describe('bedrock request conversion: what Converse refuses (outside review)', () => {
  const rejects = (request: Partial<ChatRequest>, param: string) =>
    assert.rejects(convert(request), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST' && error.param === param);
  const toolHistory = (result: ChatRequest['messages'][number]): ChatRequest['messages'] => [
    { role: 'user', content: [{ type: 'text', text: 'Run it' }] },
    { role: 'assistant', content: [{ type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{}' }] },
    result,
  ];

  it('refuses a temperature above 1 before any call (InferenceConfiguration: 0 to 1), and sends 1', async () => {
    await rejects({ temperature: 1.5 }, 'temperature');
    assert.deepStrictEqual((await convert({ temperature: 1 })).body.inferenceConfig, { temperature: 1 });
  });

  it('refuses stop sequences before any call for the models that refuse them (gpt-oss, Qwen3), and sends them to others', async () => {
    for (const model of ['openai.gpt-oss-120b-1:0', 'qwen.qwen3-32b-v1:0', 'us.qwen.qwen3-coder-480b-a35b-v1:0']) {
      await assert.rejects(convert({ stop: ['END'] }, model), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST' && error.param === 'stop', model);
    }
    assert.deepStrictEqual((await convert({ stop: ['END'] }, 'meta.llama3-3-70b-instruct-v1:0')).body.inferenceConfig, { stopSequences: ['END'] });
  });

  it('leaves out empty stop sequences (Bedrock refuses them) with a warning', async () => {
    const { body, warnings } = await convert({ stop: ['', 'END'] });
    assert.deepStrictEqual(body.inferenceConfig, { stopSequences: ['END'] });
    assert.deepStrictEqual(warnings.map((warning) => warning.setting), ['stop']);
    assert.equal((await convert({ stop: [''] })).body.inferenceConfig, undefined);
  });

  it('sends an empty tool result without a blank text block, and an empty failed one without its status (warned)', async () => {
    const empty = await convert({ tools: [weather], messages: toolHistory({ role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '' }] }) });
    assert.deepStrictEqual(empty.body.messages[2], { role: 'user', content: [{ toolResult: { toolUseId: 'call_1', content: [] } }] });
    assert.deepStrictEqual(empty.warnings, []);
    const failed = await convert({ tools: [weather], messages: toolHistory({ role: 'tool', toolCallId: 'call_1', content: [], isError: true }) });
    assert.deepStrictEqual(failed.body.messages[2], { role: 'user', content: [{ toolResult: { toolUseId: 'call_1', content: [] } }] });
    assert.deepStrictEqual(failed.warnings.map((warning) => warning.setting), ['messages[2].is_error']);
    const said = await convert({ tools: [weather], messages: toolHistory({ role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '' }, { type: 'text', text: 'boom' }], isError: true }) });
    assert.deepStrictEqual(said.body.messages[2], { role: 'user', content: [{ toolResult: { toolUseId: 'call_1', content: [{ text: 'boom' }], status: 'error' } }] });
  });

  it('refuses a history with tool calls but no tools before any call (Bedrock requires a toolConfig then)', async () => {
    await rejects({ messages: toolHistory({ role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: 'sunny' }] }) }, 'tools');
  });
});

describe('bedrock prompt-caching breakpoints (cachePoint blocks)', () => {
  const sonnet45 = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
  const marked = (text: string, minTtlSeconds?: number) => ({ type: 'text' as const, text, cacheBreakpoint: minTtlSeconds === undefined ? {} : { minTtlSeconds } });
  const openai = (fields: string[], extra: Record<string, unknown> = {}) => ({ format: 'openai-chat' as const, body: { model: 'claude', messages: [], ...extra }, nativeOnly: fields });

  it('puts a cache point after each marked block, in system and turns, 1h where the model takes it', async () => {
    const { body, warnings } = await convert(
      {
        messages: [
          { role: 'system', content: [marked('Long rules.', 1800)] },
          { role: 'user', content: [{ type: 'text', text: 'Document:' }, marked('the document')] },
          { role: 'assistant', content: [marked('An answer.')] },
          { role: 'user', content: [{ type: 'text', text: 'And now?' }] },
        ],
        native: openai(['prompt_cache_breakpoint'], { prompt_cache_options: { mode: 'explicit', ttl: '30m' } }),
      },
      sonnet45,
    );
    assert.deepStrictEqual(body.system, [{ text: 'Long rules.' }, { cachePoint: { type: 'default', ttl: '1h' } }]);
    assert.deepStrictEqual(body.messages, [
      { role: 'user', content: [{ text: 'Document:' }, { text: 'the document' }, { cachePoint: { type: 'default' } }] },
      { role: 'assistant', content: [{ text: 'An answer.' }, { cachePoint: { type: 'default' } }] },
      { role: 'user', content: [{ text: 'And now?' }] },
    ]);
    assert.deepStrictEqual(warnings, [], 'every breakpoint sent as asked; prompt_cache_options carried by them (mode explicit)');
  });

  it('sends the latest four, and 5 minutes with a warning to a model without the 1-hour TTL', async () => {
    const { body, warnings } = await convert(
      { messages: [{ role: 'system', content: [marked('a', 3600), marked('b', 3600)] }, { role: 'user', content: [marked('c'), marked('d'), marked('e')] }], native: openai(['cache_control']) },
      'anthropic.claude-3-7-sonnet-20250219-v1:0',
    );
    assert.deepStrictEqual(body.system, [{ text: 'a' }, { text: 'b' }, { cachePoint: { type: 'default' } }]);
    assert.equal(body.messages[0]!.content.filter((block) => 'cachePoint' in block).length, 3);
    assert.deepStrictEqual(warnings.map((warning) => warning.setting), ['cache_ttl']);
  });

  it("puts a cache point after a marked tool, counted first among the latest four (tools open the prompt's prefix)", async () => {
    const tool = (name: string, cached: boolean) => ({ name, parameters: { type: 'object' }, ...(cached ? { cacheBreakpoint: {} } : {}) });
    const anthropic = (fields: string[]) => ({ format: 'anthropic-messages' as const, body: { model: 'claude', messages: [] }, nativeOnly: fields });
    const three = await convert(
      { tools: [tool('first', false), tool('second', true)], messages: [{ role: 'user', content: [marked('a'), marked('b'), marked('c')] }], native: anthropic(['tools[].cache_control', 'cache_control']) },
      sonnet45,
    );
    assert.deepStrictEqual(three.body.toolConfig?.tools, [
      { toolSpec: { name: 'first', inputSchema: { json: { type: 'object' } } } },
      { toolSpec: { name: 'second', inputSchema: { json: { type: 'object' } } } },
      { cachePoint: { type: 'default' } },
    ]);
    assert.equal(three.body.messages[0]!.content.filter((block) => 'cachePoint' in block).length, 3);
    assert.deepStrictEqual(three.warnings, []);
    // A fifth mark: the earliest, the tool's, is the one left out.
    const four = await convert({ tools: [tool('only', true)], messages: [{ role: 'user', content: [marked('a'), marked('b'), marked('c'), marked('d')] }], native: anthropic(['tools[].cache_control', 'cache_control']) }, sonnet45);
    assert.deepStrictEqual(four.body.toolConfig?.tools, [{ toolSpec: { name: 'only', inputSchema: { json: { type: 'object' } } } }]);
    assert.equal(four.body.messages[0]!.content.filter((block) => 'cachePoint' in block).length, 4);
    // tool_choice "none" leaves the tools out (Converse has no "none"), and their mark: said once.
    const none = await convert({ tools: [tool('only', true)], toolChoice: 'none', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], native: anthropic(['tools[].cache_control']) }, sonnet45);
    assert.equal(none.body.toolConfig, undefined);
    assert.deepStrictEqual(none.warnings.map((warning) => [warning.type, warning.setting]), [['dropped-setting', 'tools[].cache_control']]);
  });

  it('sends none to a model Bedrock refuses them for, and says so for each field used', async () => {
    for (const model of ['meta.llama3-3-70b-instruct-v1:0', 'anthropic.claude-3-haiku-20240307-v1:0', claude, 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc']) {
      const { body, warnings } = await convert({ messages: [{ role: 'user', content: [marked('x'), marked('y')] }], native: openai(['prompt_cache_breakpoint', 'cache_control']) }, model);
      assert.deepStrictEqual(body.messages, [{ role: 'user', content: [{ text: 'x' }, { text: 'y' }] }], model);
      assert.deepStrictEqual(warnings.map((warning) => [warning.type, warning.setting]), [['dropped-setting', 'prompt_cache_breakpoint'], ['dropped-setting', 'cache_control']], model);
    }
  });

  it('follows a tool result with one point, and warns that mode implicit has no equivalent', async () => {
    const { body, warnings } = await convert(
      {
        tools: [weather],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'weather?' }] },
          { role: 'assistant', content: [{ type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
          { role: 'tool', toolCallId: 'call_1', content: [marked('sunny', 1800), marked('warm', 1800)] },
        ],
        native: openai(['prompt_cache_breakpoint'], { prompt_cache_options: { ttl: '30m' } }),
      },
      'amazon.nova-pro-v1:0',
    );
    assert.deepStrictEqual(body.messages[2]!.content.slice(1), [{ cachePoint: { type: 'default' } }]);
    assert.deepStrictEqual(warnings.map((warning) => warning.setting), ['prompt_cache_options.mode', 'cache_ttl']);
  });

  it('reads 1-hour cache writes apart from the others', () => {
    const usage = convertResponse(
      {
        output: { message: { role: 'assistant', content: [{ text: 'ok' }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 10, outputTokens: 2, cacheReadInputTokens: 100, cacheWriteInputTokens: 300, cacheDetails: [{ inputTokens: 200, ttl: '1h' }, { inputTokens: 100, ttl: '5m' }] },
      },
      { id: 'r', model: claude },
    ).usage;
    assert.deepStrictEqual(usage, { inputTokens: 410, outputTokens: 2, cachedInputTokens: 100, cacheWriteTokens: 300, cacheWrite1hTokens: 200 });
  });
});

describe('bedrock response conversion (Converse answer → ChatResult)', () => {
  it('turns a recorded-shape answer into reasoning, text and a tool call with cache-aware usage', async () => {
    const body = JSON.parse(await readFile(new URL('./__fixtures__/bedrock-converse-tool-use.json', import.meta.url), 'utf8')) as ConverseResponseBody;
    const { created, ...result } = convertResponse(body, { id: 'req-1', model: claude });
    assert.equal(typeof created, 'number');
    assert.deepStrictEqual(result, {
      id: 'req-1',
      model: claude,
      content: [
        { type: 'reasoning', text: 'The user wants the weather; I should call the tool.', signature: 'ErUBCkYIBBgCIkDsig' },
        { type: 'text', text: "I'll look that up." },
        { type: 'tool-call', id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
      ],
      finishReason: 'tool-calls',
      rawFinishReason: 'tool_use',
      usage: { inputTokens: 1036, outputTokens: 87, cachedInputTokens: 1024 },
    });
  });

  it('keeps redacted reasoning and maps every stop reason', () => {
    const result = convertResponse({ output: { message: { content: [{ reasoningContent: { redactedContent: 'ZW5jcnlwdGVk' } }] } } }, { id: 'x', model: 'm' });
    assert.deepStrictEqual(result.content, [{ type: 'reasoning', text: '', redacted: 'ZW5jcnlwdGVk' }]);
    assert.deepStrictEqual(result.usage, { inputTokens: 0, outputTokens: 0, estimated: true });
    const reasons = ['end_turn', 'stop_sequence', 'max_tokens', 'model_context_window_exceeded', 'tool_use', 'guardrail_intervened', 'content_filtered', 'malformed_tool_use', 'something_new'];
    assert.deepStrictEqual(reasons.map(mapStopReason), ['stop', 'stop', 'length', 'length', 'tool-calls', 'content-filter', 'content-filter', 'error', 'other']);
  });
});
