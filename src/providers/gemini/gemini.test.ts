import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import type { ImageFetcher, UpstreamResponse } from '../../core/http-client.ts';
import { convertRequest } from './convert-request.ts';
import { convertResponse } from './convert-response.ts';
import { convertEmbeddingRequest, convertEmbeddingResponse } from './embeddings.ts';
import { errorFromGeminiResponse, readGeminiError } from './errors.ts';
import { signatureFromToolCallId } from './tool-call-id.ts';
import type { GeminiResponse } from './wire-types.ts';
import { createRedactor } from '../_shared/redact-secrets.ts';
import type { UpstreamSource } from '../_shared/upstream-error.ts';

/** A provider's source with no configured secrets. */
const testSource = (provider: string): UpstreamSource => ({ provider, redact: createRedactor([]) });

const fixture = async (name: string) => readFile(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const fixtureJson = async (name: string) => JSON.parse(await fixture(name)) as GeminiResponse;

const fetched: string[] = [];
const images: ImageFetcher = {
  async fetch(url) {
    fetched.push(url);
    return { mediaType: 'image/jpeg', data: new Uint8Array([1, 2, 3]) };
  },
};
const dependencies = { images, signal: new AbortController().signal };
const base: ChatRequest = { model: 'fast', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, includeUsage: false, metadata: {}, hints: {} };

describe('gemini convert-request (golden)', () => {
  it('maps messages, tools, tool choice and generation settings to a GenerateContentRequest', async () => {
    const request: ChatRequest = {
      ...base,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image', url: 'data:image/png;base64,AAAA' }, { type: 'image', url: 'https://example.com/cat.jpg' }] },
        { role: 'assistant', content: [{ type: 'tool-call', id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' }] },
        { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: 'found' }] },
      ],
      tools: [{ name: 'lookup', description: 'Look up', parameters: { type: 'object', properties: { q: { type: 'string', pattern: '^x' } }, required: ['q'] } }],
      toolChoice: { type: 'tool', name: 'lookup' },
      maxOutputTokens: 100,
      stop: ['END'],
      temperature: 0.2,
      topP: 0.9,
      topK: 5,
      seed: 7,
      n: 1,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      responseFormat: { type: 'json_object' },
      thinkingBudgetTokens: 2048,
      parallelToolCalls: false,
      user: 'u1',
    };
    const { body, warnings } = await convertRequest(request, dependencies);
    assert.deepEqual(body, {
      contents: [
        { role: 'user', parts: [{ text: 'Look:' }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }, { inlineData: { mimeType: 'image/jpeg', data: 'AQID' } }] },
        { role: 'model', parts: [{ functionCall: { name: 'lookup', args: { q: 'x' } }, thoughtSignature: 'skip_thought_signature_validator' }] },
        { role: 'user', parts: [{ functionResponse: { name: 'lookup', response: { output: 'found' } } }] },
      ],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      tools: [{ functionDeclarations: [{ name: 'lookup', description: 'Look up', parametersJsonSchema: request.tools![0]!.parameters }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['lookup'] } },
      generationConfig: {
        candidateCount: 1,
        stopSequences: ['END'],
        maxOutputTokens: 100,
        temperature: 0.2,
        topP: 0.9,
        topK: 5,
        seed: 7,
        presencePenalty: 0.1,
        frequencyPenalty: 0.2,
        responseMimeType: 'application/json',
        thinkingConfig: { thinkingBudget: 2048, includeThoughts: true },
      },
    });
    assert.deepEqual(fetched, ['https://example.com/cat.jpg'], 'only the https image is fetched');
    assert.deepEqual(warnings.map((warning) => warning.setting), ['thought_signature', 'tools[0].function.parameters', 'parallel_tool_calls', 'user']);
    assert.match(warnings[1]!.message, /properties\.q\.pattern/);
  });

  it('sends a thought signature carried in a tool call id back on its function call, and names tool results', async () => {
    const answer = convertResponse(await fixtureJson('gemini-unary-thinking-function-call-signature.json'), 'gemini-2.5-pro');
    const call = answer.content.find((part) => part.type === 'tool-call')!;
    const { body, warnings } = await convertRequest(
      {
        ...base,
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'How many days until New Year?' }] },
          { role: 'assistant', content: answer.content.filter((part) => part.type !== 'refusal') as never },
          { role: 'tool', toolCallId: call.type === 'tool-call' ? call.id : '', content: [{ type: 'text', text: '2025-10-26' }] },
        ],
      },
      dependencies,
    );
    const original = (await fixtureJson('gemini-unary-thinking-function-call-signature.json')).candidates![0]!.content!.parts!;
    assert.deepEqual(body.contents[1], {
      role: 'model',
      parts: [
        { text: original[0]!.text!, thought: true },
        { functionCall: { name: 'now', args: {} }, thoughtSignature: original[1]!.thoughtSignature! },
      ],
    });
    assert.deepEqual(body.contents[2], { role: 'user', parts: [{ functionResponse: { name: 'now', response: { output: '2025-10-26' } } }] });
    assert.deepEqual(warnings, []);
  });

  it("keeps a tool result's text parts apart, and says an image's detail was not sent", async () => {
    const request: ChatRequest = {
      ...base,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'weather?' }, { type: 'image', url: 'data:image/png;base64,AAAA', detail: 'low' }] },
        { role: 'assistant', content: [{ type: 'tool-call', id: 'call_1', name: 'weather', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '{"temp":21}' }, { type: 'text', text: 'sunny' }] },
      ],
    };
    const { body, warnings } = await convertRequest(request, dependencies);
    const contents = body.contents as Array<{ parts: Array<{ functionResponse?: { response: unknown } }> }>;
    assert.deepStrictEqual(contents.at(-1)!.parts[0]!.functionResponse!.response, { output: '{"temp":21}\nsunny' });
    assert.ok(warnings.some((warning) => warning.setting === 'messages[0].image_url.detail'));
  });

  it('maps reasoning effort, json_schema and tool choice modes', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string', minLength: 2 } }, required: ['city'], additionalProperties: false };
    const { body, warnings } = await convertRequest(
      { ...base, reasoningEffort: 'low', responseFormat: { type: 'json_schema', name: 'city', schema, strict: true }, tools: [{ name: 'f', parameters: {} }], toolChoice: 'required' },
      dependencies,
    );
    assert.deepEqual(body.generationConfig, { responseMimeType: 'application/json', responseJsonSchema: schema, thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
    assert.deepEqual(body.tools, [{ functionDeclarations: [{ name: 'f' }] }]);
    assert.deepEqual(body.toolConfig, { functionCallingConfig: { mode: 'ANY' } });
    assert.deepEqual(warnings.map((warning) => warning.setting), ['response_format.json_schema.schema']);
    const none = await convertRequest({ ...base, reasoningEffort: 'none', tools: [{ name: 'f', parameters: {} }], toolChoice: 'none' }, dependencies);
    assert.deepEqual(none.body.generationConfig, { thinkingConfig: { thinkingBudget: 0 } });
    assert.deepEqual(none.body.toolConfig, { functionCallingConfig: { mode: 'NONE' } });
    const unknown = await convertRequest({ ...base, reasoningEffort: 'xhigh', logprobs: true }, dependencies);
    assert.equal(unknown.body.generationConfig, undefined);
    assert.deepEqual(unknown.warnings.map((warning) => warning.setting), ['reasoning_effort', 'logprobs']);
  });

  it('warns for OpenAI fields ChatRequest does not model, which Gemini has no twin for', async () => {
    const { warnings } = await convertRequest({ ...base, native: { format: 'openai-chat', body: { model: 'fast', messages: [], logit_bias: { '50256': -100 }, service_tier: null } } }, dependencies);
    assert.deepEqual(warnings.map((warning) => [warning.type, warning.setting]), [['dropped-setting', 'logit_bias']]);
  });

  it('merges a mid-conversation system message into the instruction, with a warning', async () => {
    const { body, warnings } = await convertRequest(
      { ...base, messages: [...base.messages, { role: 'assistant', content: [{ type: 'text', text: 'hello' }] }, { role: 'system', content: [{ type: 'text', text: 'Now French.' }] }, { role: 'user', content: [{ type: 'text', text: 'again' }] }] },
      dependencies,
    );
    assert.deepEqual(body.systemInstruction, { parts: [{ text: 'Now French.' }] });
    assert.deepEqual(body.contents.map((content) => content.role), ['user', 'model', 'user']);
    assert.equal(warnings[0]?.setting, 'messages[2]');
  });

  it('rejects what Gemini cannot take before any call: n > 1, file ids, unpaired tool results, non-object arguments', async () => {
    const rejects = async (request: ChatRequest, param: string) =>
      assert.rejects(convertRequest(request, dependencies), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST' && error.param === param);
    await rejects({ ...base, n: 2 }, 'n');
    await rejects({ ...base, messages: [{ role: 'user', content: [{ type: 'file', mediaType: 'application/pdf', fileId: 'file-1' }] }] }, 'messages[0].content');
    await rejects({ ...base, messages: [...base.messages, { role: 'tool', toolCallId: 'call_x', content: [{ type: 'text', text: 'r' }] }] }, 'messages[1].tool_call_id');
    await rejects({ ...base, messages: [...base.messages, { role: 'assistant', content: [{ type: 'tool-call', id: 'c', name: 'f', arguments: '[1]' }] }] }, 'messages[1].tool_calls');
  });
});

describe('gemini convert-response (golden, recorded answers)', () => {
  it('converts a plain answer with its usage', async () => {
    const result = convertResponse(await fixtureJson('gemini-unary-basic-reply-short.json'), 'gemini-2.0-flash');
    assert.deepEqual({ ...result, id: 'x', created: 0 }, {
      id: 'x',
      model: 'gemini-2.0-flash',
      created: 0,
      content: [{ type: 'text', text: "Google's headquarters, also known as the Googleplex, is located in **Mountain View, California**.\n" }],
      finishReason: 'stop',
      rawFinishReason: 'STOP',
      usage: { inputTokens: 7, outputTokens: 22 },
      warnings: [],
    });
  });

  it('turns thoughts into reasoning and a function call into a tool call whose id carries the signature', async () => {
    const body = await fixtureJson('gemini-unary-thinking-function-call-signature.json');
    const result = convertResponse(body, 'gemini-2.5-pro');
    assert.equal(result.id, '38CHaLjMG6TujrEPtvTiuQk');
    assert.deepEqual(result.content.map((part) => part.type), ['reasoning', 'tool-call']);
    const call = result.content[1]!;
    assert.ok(call.type === 'tool-call');
    assert.equal(call.name, 'now');
    assert.equal(call.arguments, '{}');
    assert.match(call.id, /^call_[0-9a-f]{24}__thought__[A-Za-z0-9_-]+$/);
    assert.equal(signatureFromToolCallId(call.id), body.candidates![0]!.content!.parts![1]!.thoughtSignature);
    assert.equal(result.finishReason, 'tool-calls');
    assert.deepEqual(result.usage, { inputTokens: 38, outputTokens: 509, reasoningTokens: 501 });
  });

  it('maps a SAFETY finish to content-filter (a blocked prompt is an error: gemini-adapter.test.ts)', async () => {
    const safety = convertResponse(await fixtureJson('gemini-unary-finish-reason-safety.json'), 'gemini-2.0-flash');
    assert.deepEqual([safety.finishReason, safety.rawFinishReason], ['content-filter', 'SAFETY']);
  });

  it('keeps Gemini ids, and a signature on answer text as a reasoning part after it', () => {
    const result = convertResponse(
      { candidates: [{ content: { parts: [{ functionCall: { id: 'fc-1', name: 'f', args: { a: 1 } } }, { text: 'done', thoughtSignature: 'c2ln' }, { executableCode: { code: 'print(1)' } }] }, finishReason: 'MAX_TOKENS' }] },
      'm',
    );
    assert.deepEqual(result.content, [
      { type: 'tool-call', id: 'fc-1', name: 'f', arguments: '{"a":1}' },
      { type: 'text', text: 'done' },
      { type: 'reasoning', text: '', signature: 'c2ln' },
    ]);
    assert.equal(result.finishReason, 'length');
    assert.equal(result.warnings[0]?.setting, 'parts.executableCode');
  });
});

function upstream(status: number, body: string, headers: Record<string, string> = {}): UpstreamResponse {
  return { status, headers, body: new ReadableStream(), text: async () => body, discard: async () => undefined };
}

describe('gemini errors', () => {
  it('reads google.rpc.Status bodies, and a wrong key (a 400) as an upstream auth failure', async () => {
    assert.deepEqual(readGeminiError(JSON.parse(await fixture('gemini-error-unknown-model.json'))).code, 'NOT_FOUND');
    const auth = await errorFromGeminiResponse(upstream(400, await fixture('gemini-error-api-key.json')), testSource('g'));
    assert.equal(auth.code, 'SB_ERR_UPSTREAM_AUTH');
    assert.equal(auth.upstreamStatus, 400);
    assert.match(auth.message, /API key not valid/);
  });

  it("reads a 400 FAILED_PRECONDITION (billing or region) as the project's failure, which another candidate may not share, and a 402 likewise", async () => {
    // The error codes table of ai.google.dev/gemini-api/docs/troubleshooting.
    const body = JSON.stringify({ error: { code: 400, message: 'Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio.', status: 'FAILED_PRECONDITION' } });
    const precondition = await errorFromGeminiResponse(upstream(400, body), testSource('g'));
    assert.deepEqual([precondition.code, precondition.upstreamStatus, precondition.retryable], ['SB_ERR_UPSTREAM_AUTH', 400, true]);
    const prepay = JSON.stringify({ error: { code: 402, message: 'Your prepayment credits are depleted.', status: 'RESOURCE_EXHAUSTED' } });
    assert.equal((await errorFromGeminiResponse(upstream(402, prepay), testSource('g'))).code, 'SB_ERR_UPSTREAM_AUTH');
    const invalid = JSON.stringify({ error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' } });
    assert.equal((await errorFromGeminiResponse(upstream(400, invalid), testSource('g'))).code, 'SB_ERR_UPSTREAM_BAD_REQUEST', "the request's own fault stays the caller's");
  });

  it('takes a 429 wait from RetryInfo.retryDelay, or from the header first', async () => {
    const body = JSON.stringify({ error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '29.2s' }] } });
    const fromBody = await errorFromGeminiResponse(upstream(429, body), testSource('g'));
    assert.deepEqual([fromBody.code, fromBody.retryAfterSeconds], ['SB_ERR_UPSTREAM_RATE_LIMITED', 30]);
    const fromHeader = await errorFromGeminiResponse(upstream(429, body, { 'retry-after': '4' }), testSource('g'));
    assert.equal(fromHeader.retryAfterSeconds, 4);
  });

  it('maps a token-limit INVALID_ARGUMENT to a context-length error', async () => {
    const body = JSON.stringify({ error: { code: 400, message: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).', status: 'INVALID_ARGUMENT' } });
    assert.equal((await errorFromGeminiResponse(upstream(400, body), testSource('g'))).code, 'SB_ERR_CONTEXT_LENGTH');
  });
});

describe('gemini embeddings', () => {
  it('builds a batchEmbedContents body and counts usage itself', () => {
    const request = { model: 'embed', input: ['one', 'three'], dimensions: 4, inputType: 'search_query' as const, metadata: {} };
    assert.deepEqual(convertEmbeddingRequest(request, 'models/gemini-embedding-001'), {
      requests: ['one', 'three'].map((text) => ({ model: 'models/gemini-embedding-001', content: { parts: [{ text }] }, taskType: 'RETRIEVAL_QUERY', outputDimensionality: 4 })),
    });
    const result = convertEmbeddingResponse({ embeddings: [{ values: [1, 0] }, { values: [0, 1] }] }, { ...request, encodingFormat: 'base64' }, 'gemini-embedding-001', 'g');
    assert.deepEqual([...new Float32Array(Uint8Array.from(Buffer.from(result.embeddings[1] as string, 'base64')).buffer)], [0, 1]);
    assert.deepEqual(result.usage, { inputTokens: 3, outputTokens: 0, estimated: true });
    assert.throws(() => convertEmbeddingRequest({ ...request, input: [] }, 'models/x'), /token-id inputs/);
  });
});
