import { readAll } from '../../../test/helpers/events.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import type { HttpClient, UpstreamRequest } from '../../core/http-client.ts';
import type { ProviderCall, ProviderSettings } from '../../core/provider-adapter.ts';
import { createGeminiAdapter } from './index.ts';
import { invalidAnswerError } from '../../../test/helpers/invalid-answer.ts';

/** An HttpClient that records what the adapter sends and answers every call with `body`. */
function fakeHttp(body: string) {
  const sent: UpstreamRequest[] = [];
  const http: HttpClient = {
    async send(request) {
      sent.push(request);
      return {
        status: 200,
        headers: {},
        body: new ReadableStream<Uint8Array>({ start: (controller) => (controller.enqueue(new TextEncoder().encode(body)), controller.close()) }),
        text: async () => body,
        discard: async () => undefined,
      };
    },
  };
  return { http, sent };
}

const answer = JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'hi' }] }, finishReason: 'STOP' }] });
const images = { fetch: async () => ({ mediaType: 'image/png', data: new Uint8Array() }) };
const settings: ProviderSettings = { id: 'gem', type: 'gemini', baseUrl: 'https://gemini.example', apiKey: 'AIza-test-key-0123456789', headers: {}, timeoutMs: 1000, options: {} };
const call = (model: string): ProviderCall => ({ model, signal: new AbortController().signal, timeoutMs: 1000, requestId: 'req' });
const request: ChatRequest = { model: 'x', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, includeUsage: false, metadata: {}, hints: {} };


describe('gemini adapter: model names in the URL', () => {
  it('refuses a name that would leave models/{model} with a 400, before any call', async () => {
    for (const model of ['../../evil/path?', '../../../evil/path?', 'models/../../evil', 'gemini-2.5-flash?alt=json', 'gemini#x', '..', 'tunedModels/a/b', 'gemini 2.5']) {
      const { http, sent } = fakeHttp(answer);
      const adapter = createGeminiAdapter(settings, { http, images });
      for (const attempt of [() => adapter.chat(request, call(model)), () => adapter.streamChat(request, call(model)), () => adapter.embed!({ model: 'x', input: ['a'], metadata: {} }, call(model))]) {
        await assert.rejects(attempt(), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST' && error.status === 400 && error.param === 'model', model);
      }
      assert.equal(sent.length, 0, `${model} reached the provider`);
    }
  });

  it('sends the names Gemini has, qualified or not, under /v1beta/models or /v1beta/tunedModels', async () => {
    const { http, sent } = fakeHttp(answer);
    const adapter = createGeminiAdapter(settings, { http, images });
    for (const model of ['gemini-2.5-flash', 'models/gemini-1.5-flash-001', 'tunedModels/sentence-translator-u3b7m', 'gemini-2.0-flash-thinking-exp-01-21']) await adapter.chat(request, call(model));
    assert.deepEqual(
      sent.map((upstream) => upstream.url),
      [
        'https://gemini.example/v1beta/models/gemini-2.5-flash:generateContent',
        'https://gemini.example/v1beta/models/gemini-1.5-flash-001:generateContent',
        'https://gemini.example/v1beta/tunedModels/sentence-translator-u3b7m:generateContent',
        'https://gemini.example/v1beta/models/gemini-2.0-flash-thinking-exp-01-21:generateContent',
      ],
    );
  });
});

describe('gemini adapter: answers without candidates', () => {
  const blocked = JSON.stringify({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 } });

  it('turns a blocked prompt into a 400 content-policy error naming the reason, streamed or not', async () => {
    const adapter = createGeminiAdapter(settings, { http: fakeHttp(blocked).http, images });
    const refused = (error: unknown) =>
      GatewayError.isInstance(error) && error.code === 'SB_ERR_UPSTREAM_BAD_REQUEST' && error.status === 400 && !error.retryable && /blocked the prompt.*blockReason PROHIBITED_CONTENT/.test(error.message);
    await assert.rejects(adapter.chat(request, call('gemini-2.5-flash')), refused);
    const streamed = createGeminiAdapter(settings, { http: fakeHttp(`data: ${blocked}\r\n\r\n`).http, images });
    const events = await readAll(await streamed.streamChat({ ...request, stream: true }, call('gemini-2.5-flash')));
    const last = events.at(-1);
    assert.ok(last?.type === 'error' && refused(last.error));
  });

  it('turns an answer with no candidates and no reason into a retryable invalid-response error, streamed or not', async () => {
    for (const body of [JSON.stringify({ candidates: [], usageMetadata: { promptTokenCount: 3 } }), JSON.stringify({ modelVersion: 'gemini-2.5-flash' })]) {
      const adapter = createGeminiAdapter(settings, { http: fakeHttp(body).http, images });
      const empty = invalidAnswerError(/./);
      await assert.rejects(adapter.chat(request, call('gemini-2.5-flash')), empty);
      const streamed = createGeminiAdapter(settings, { http: fakeHttp(`data: ${body}\r\n\r\n`).http, images });
      const last = (await readAll(await streamed.streamChat({ ...request, stream: true }, call('gemini-2.5-flash')))).at(-1);
      assert.ok(last?.type === 'error' && empty(last.error), body);
    }
  });
});

describe('gemini adapter: 200 answers of the wrong shape', () => {
  const invalid = (pattern: RegExp) => invalidAnswerError(pattern, { secret: 'AIza' });

  it('refuses a body that is not a GenerateContentResponse', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [[{ candidates: [] }], /not a GenerateContentResponse: it is not a JSON object/],
      [{ candidates: 'AIza-test-key-0123456789' }, /"candidates" is not an array/],
      [{ candidates: [null] }, /candidates\[0\] is not an object/],
    ];
    for (const [body, pattern] of cases) {
      const adapter = createGeminiAdapter(settings, { http: fakeHttp(JSON.stringify(body)).http, images });
      await assert.rejects(adapter.chat(request, call('gemini-2.5-flash')), invalid(pattern), JSON.stringify(body));
    }
  });

  it('answers an invalid function call (MALFORMED_FUNCTION_CALL) with a retryable upstream error, streamed or not, never an empty "stop"', async () => {
    // What Gemini sends then: a candidate with no content (generative_service.proto Candidate.FinishReason).
    const body = JSON.stringify({ candidates: [{ finishReason: 'MALFORMED_FUNCTION_CALL', index: 0 }], usageMetadata: { promptTokenCount: 12, totalTokenCount: 12 } });
    const failed = (error: unknown) =>
      GatewayError.isInstance(error) && error.code === 'SB_ERR_UPSTREAM_ERROR' && error.retryable && /ended the generation with finishReason: MALFORMED_FUNCTION_CALL$/.test(error.message);
    const adapter = createGeminiAdapter(settings, { http: fakeHttp(body).http, images });
    await assert.rejects(adapter.chat(request, call('gemini-2.5-flash')), (error: unknown) => {
      assert.ok(failed(error));
      // What the failed call used, which Gemini bills: the ledger records it (src/router/execute.ts).
      assert.deepEqual(GatewayError.isInstance(error) && error.usage, { inputTokens: 12, outputTokens: 0 });
      return true;
    });
    const streamed = createGeminiAdapter(settings, { http: fakeHttp(`data: ${body}\r\n\r\n`).http, images });
    const events = await readAll(await streamed.streamChat({ ...request, stream: true }, call('gemini-2.5-flash')));
    assert.equal(events.some((event) => event.type === 'finish'), false);
    const last = events.at(-1);
    assert.ok(last?.type === 'error' && failed(last.error));
  });

  it('keeps a candidate stopped for safety, with or without content, as a content-filtered answer', async () => {
    for (const candidate of [{ finishReason: 'SAFETY', index: 0 }, { content: { role: 'model', parts: [{ text: 'Safety error incoming' }] }, finishReason: 'SAFETY' }]) {
      const adapter = createGeminiAdapter(settings, { http: fakeHttp(JSON.stringify({ candidates: [candidate] })).http, images });
      const result = await adapter.chat(request, call('gemini-2.5-flash'));
      assert.equal(result.finishReason, 'content-filter');
    }
  });

  it('refuses an embeddings answer without one vector per input', async () => {
    const embed = { model: 'x', input: ['a', 'b'], metadata: {} };
    const cases: Array<[unknown, RegExp]> = [
      [{ foo: 'bar' }, /not a BatchEmbedContentsResponse: "embeddings" is not a non-empty list of vectors/],
      [{ embeddings: [{ values: [0.1] }] }, /"embeddings" holds 1 vectors for 2 inputs/],
      [{ embeddings: [{ values: [0.1] }, {}] }, /embeddings\[1\]\.values is not a vector/],
    ];
    for (const [body, pattern] of cases) {
      const adapter = createGeminiAdapter(settings, { http: fakeHttp(JSON.stringify(body)).http, images });
      await assert.rejects(adapter.embed!(embed, call('gemini-embedding-001')), invalid(pattern), JSON.stringify(body));
    }
    const adapter = createGeminiAdapter(settings, { http: fakeHttp(JSON.stringify({ embeddings: [{ values: [0.1] }, { values: [0.2] }] })).http, images });
    assert.deepEqual((await adapter.embed!(embed, call('gemini-embedding-001'))).embeddings, [[0.1], [0.2]]);
  });
});
