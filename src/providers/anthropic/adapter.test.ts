import { readAll } from '../../../test/helpers/events.ts';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import type { HttpClient, UpstreamRequest, UpstreamResponse } from '../../core/http-client.ts';
import type { ProviderCall } from '../../core/provider-adapter.ts';
import { anthropicProvider } from './index.ts';
import { invalidAnswerError } from '../../../test/helpers/invalid-answer.ts';

/** An HttpClient that records requests and answers with canned responses. */
function fakeHttp(answer: { status: number; body: string; headers?: Record<string, string> }) {
  const sent: UpstreamRequest[] = [];
  const http: HttpClient = {
    async send(request) {
      sent.push(request);
      const bytes = new TextEncoder().encode(answer.body);
      const response: UpstreamResponse = {
        status: answer.status,
        headers: answer.headers ?? {},
        body: new ReadableStream({ start: (controller) => (controller.enqueue(bytes), controller.close()) }),
        text: async () => answer.body,
        discard: async () => undefined,
      };
      return response;
    },
  };
  return { http, sent };
}

function adapter(http: HttpClient, baseUrl = 'https://api.anthropic.com/') {
  return anthropicProvider.create(
    { id: 'claude', type: 'anthropic', baseUrl, apiKey: 'sk-ant-test', headers: { 'anthropic-beta': 'some-beta' }, timeoutMs: 1000, options: {} },
    { http, images: { fetch: () => Promise.reject(new Error('not used')) } },
  );
}

const request: ChatRequest = { model: 'smart', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, includeUsage: false, metadata: {}, hints: {} };
const call: ProviderCall = { model: 'claude-sonnet-4-5', signal: new AbortController().signal, timeoutMs: 1000, requestId: 'req_1' };
const message = await readFile(new URL('./__fixtures__/anthropic-message-text.json', import.meta.url), 'utf8');

async function failure(status: number, body: unknown, headers: Record<string, string> = {}): Promise<GatewayError> {
  const { http } = fakeHttp({ status, body: JSON.stringify(body), headers });
  try {
    await adapter(http).chat(request, call);
  } catch (error) {
    assert.ok(GatewayError.isInstance(error));
    return error;
  }
  throw new Error('expected a failure');
}

describe('anthropic adapter over HTTP', () => {
  it('registers as documented', () => {
    assert.equal(anthropicProvider.defaultBaseUrl, 'https://api.anthropic.com');
    assert.equal(anthropicProvider.environmentKey, 'ANTHROPIC_API_KEY');
    assert.equal(anthropicProvider.catalogType, 'anthropic');
    assert.equal(anthropicProvider.requiresApiKey, true);
    const created = adapter(fakeHttp({ status: 200, body: message }).http);
    assert.equal(created.nativeFormat, 'anthropic-messages');
    assert.equal(created.embed, undefined);
  });

  it('posts to /v1/messages with the key, version and configured headers', async () => {
    const { http, sent } = fakeHttp({ status: 200, body: message });
    const result = await adapter(http).chat({ ...request, seed: 1 }, call);
    assert.equal(sent[0]!.url, 'https://api.anthropic.com/v1/messages');
    assert.deepStrictEqual(sent[0]!.headers, {
      'content-type': 'application/json',
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'some-beta',
      'x-api-key': 'sk-ant-test',
      accept: 'application/json',
    });
    assert.deepStrictEqual(JSON.parse(String(sent[0]!.body)), { model: 'claude-sonnet-4-5', max_tokens: 4096, messages: [{ role: 'user', content: 'hi' }] });
    assert.deepStrictEqual(result.content, [{ type: 'text', text: 'Hi! My name is Claude.' }]);
    assert.deepStrictEqual(result.warnings.map((warning) => warning.setting), ['seed']);
    assert.equal(result.native, undefined);
  });

  it('returns the body text as native when the caller speaks Anthropic', async () => {
    const { http, sent } = fakeHttp({ status: 200, body: message });
    const native = { model: 'smart', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }], stream: true };
    const result = await adapter(http).chat({ ...request, native: { format: 'anthropic-messages', body: native } }, call);
    assert.deepStrictEqual(result.native, { format: 'anthropic-messages', body: message });
    assert.deepStrictEqual(JSON.parse(String(sent[0]!.body)), { model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
  });

  it('streams with the conversion warnings on stream-start', async () => {
    const sse = await readFile(new URL('./__fixtures__/anthropic-stream-text.sse', import.meta.url), 'utf8');
    const { http, sent } = fakeHttp({ status: 200, body: sse });
    const events = await readAll(await adapter(http).streamChat({ ...request, stream: true, frequencyPenalty: 1 }, call));
    assert.equal(sent[0]!.headers.accept, 'text/event-stream');
    assert.equal(JSON.parse(String(sent[0]!.body)).stream, true);
    assert.deepStrictEqual(events[0]?.type === 'stream-start' && events[0].warnings.map((warning) => warning.setting), ['frequency_penalty']);
    assert.equal(events.at(-1)?.type, 'finish');
  });

  it('maps Anthropic error bodies: 529 overloaded is retryable, 429 keeps retry-after, a long prompt is a context-length error', async () => {
    const body = (type: string, text: string) => ({ type: 'error', error: { type, message: text }, request_id: 'req_011' });
    const overloaded = await failure(529, body('overloaded_error', 'Overloaded'));
    assert.equal(overloaded.code, 'SB_ERR_UPSTREAM_UNAVAILABLE');
    assert.equal(overloaded.retryable, true);
    assert.equal(overloaded.upstreamStatus, 529);
    assert.match(overloaded.message, /answered 529: Overloaded/);

    const limited = await failure(429, body('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'), { 'retry-after': '12' });
    assert.equal(limited.code, 'SB_ERR_UPSTREAM_RATE_LIMITED');
    assert.equal(limited.retryAfterSeconds, 12);

    const long = await failure(400, body('invalid_request_error', 'prompt is too long: 215000 tokens > 200000 maximum'));
    assert.equal(long.code, 'SB_ERR_CONTEXT_LENGTH');
    assert.equal(long.publicCode, 'context_length_exceeded');
    // The prompt fits, with the max_tokens asked for it does not: a larger window helps too.
    const withOutput = await failure(400, body('invalid_request_error', 'input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, decrease input length or `max_tokens` and try again'));
    assert.equal(withOutput.code, 'SB_ERR_CONTEXT_LENGTH');

    const bad = await failure(400, body('invalid_request_error', 'max_tokens: Field required'));
    assert.equal(bad.code, 'SB_ERR_UPSTREAM_BAD_REQUEST');
    assert.equal(bad.retryable, false);

    const auth = await failure(401, body('authentication_error', 'invalid x-api-key'));
    assert.equal(auth.code, 'SB_ERR_UPSTREAM_AUTH');
  });

  it('treats an error body in a 200 as the error it names', async () => {
    const error = await failure(200, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    assert.equal(error.code, 'SB_ERR_UPSTREAM_UNAVAILABLE');
  });

  it('refuses a 200 that is not a Message, passed through or not, without quoting it', async () => {
    const native: ChatRequest = { ...request, native: { format: 'anthropic-messages', body: { model: 'smart', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] } } };
    const cases: Array<[unknown, RegExp]> = [
      [{ foo: 'bar', echoed: 'sk-ant-test' }, /^Provider "claude" answered with a body that is not a message: "type" is not "message"$/],
      [{ content: [{ type: 'text', text: 'hi' }] }, /"type" is not "message"/],
      [{ id: 'msg_1', type: 'message', role: 'assistant', stop_reason: 'end_turn' }, /"content" is not an array/],
      [{ id: 'msg_1', type: 'message', content: [null] }, /content\[0\] is not an object/],
      [null, /it is not a JSON object/],
    ];
    for (const [body, pattern] of cases) {
      for (const sent of [request, native]) {
        const { http } = fakeHttp({ status: 200, body: JSON.stringify(body) });
        await assert.rejects(
          adapter(http).chat(sent, call),
          invalidAnswerError(pattern, { secret: 'sk-ant' }),
          JSON.stringify(body),
        );
      }
    }
  });

  it('accepts a Message with no content blocks (a turn ended without a word)', async () => {
    const body = JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } });
    const result = await adapter(fakeHttp({ status: 200, body }).http).chat(request, call);
    assert.deepStrictEqual([result.content, result.finishReason], [[], 'stop']);
  });

  it('rejects a temperature above 1 before calling Anthropic', async () => {
    const { http, sent } = fakeHttp({ status: 200, body: message });
    await assert.rejects(adapter(http).chat({ ...request, temperature: 1.2 }, call), (error: unknown) => GatewayError.isInstance(error) && error.status === 400);
    assert.equal(sent.length, 0);
  });
});
