import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import type { ImageFetcher } from '../../core/http-client.ts';
import type { StreamEvent } from '../../core/stream-event.ts';
import { guardStream } from '../_shared/guard-stream.ts';
import { createRedactor } from '../_shared/redact-secrets.ts';
import { decodeServerSentEvents } from '../_shared/sse.ts';
import type { UpstreamSource } from '../_shared/upstream-error.ts';
import { convertRequest } from './convert-request.ts';
import { ignoredSchemaKeywords } from './convert-schema.ts';
import { errorFromStreamMessage } from './errors.ts';
import { geminiStreamTransformer } from './stream.ts';

/**
 * Translation details checked against ../shared/specs/gemini (an outside review): proto value
 * ranges, documented limits, the JSON Schema keywords Gemini honours, and what a stream must
 * report when it leaves something out.
 */

const source: UpstreamSource = { provider: 'g', redact: createRedactor([]) };
const images: ImageFetcher = { fetch: () => Promise.reject(new Error('no fetch expected')) };
const dependencies = { images, signal: new AbortController().signal };
const base: ChatRequest = { model: 'fast', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, includeUsage: false, metadata: {}, hints: {} };

const rejects = (request: ChatRequest, param: string, message: RegExp) =>
  assert.rejects(convertRequest(request, dependencies), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST' && error.param === param && message.test(error.message));

describe('gemini request fidelity', () => {
  it('sends a seed only when it fits GenerationConfig.seed (an int32), and says so when it does not', async () => {
    const fits = await convertRequest({ ...base, seed: -(2 ** 31) }, dependencies);
    assert.deepEqual(fits.body.generationConfig, { seed: -(2 ** 31) });
    assert.deepEqual(fits.warnings, []);
    // A millisecond timestamp, a common seed: the API's JSON parser refuses it as an int32.
    const { body, warnings } = await convertRequest({ ...base, seed: 1_733_561_234_567 }, dependencies);
    assert.equal(body.generationConfig, undefined);
    assert.deepEqual(warnings.map((warning) => [warning.type, warning.setting]), [['unsupported-setting', 'seed']]);
    assert.match(warnings[0]!.message, /32-bit/);
  });

  it('refuses, before any call, a token limit or top_k that no int32 holds', async () => {
    await rejects({ ...base, maxOutputTokens: 2 ** 31 }, 'max_tokens', /at most 2147483647/);
    await rejects({ ...base, topK: 2 ** 31 }, 'top_k', /at most 2147483647/);
    const { body } = await convertRequest({ ...base, maxOutputTokens: 2 ** 31 - 1, topK: 40 }, dependencies);
    assert.deepEqual(body.generationConfig, { maxOutputTokens: 2 ** 31 - 1, topK: 40 });
  });

  it('refuses, before any call, a conversation of system instructions alone (GenerateContentRequest.contents is required)', async () => {
    await rejects({ ...base, messages: [{ role: 'system', content: [{ type: 'text', text: 'Be brief.' }] }] }, 'messages', /user or assistant message/);
  });

  it('refuses more than 5 stop sequences (GenerationConfig.stop_sequences: "up to 5") before any call', async () => {
    await rejects({ ...base, stop: ['a', 'b', 'c', 'd', 'e', 'f'] }, 'stop', /at most 5 stop sequences/);
    const { body } = await convertRequest({ ...base, stop: ['a', 'b', 'c', 'd', 'e'] }, dependencies);
    assert.deepEqual(body.generationConfig, { stopSequences: ['a', 'b', 'c', 'd', 'e'] });
  });
});

describe('gemini tool results', () => {
  it('puts the responses of a turn in the order of their calls, as Gemini (sent no ids) pairs them by name and order', async () => {
    const { body } = await convertRequest(
      {
        ...base,
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Oslo?' }] },
          {
            role: 'assistant',
            content: [
              { type: 'tool-call', id: 'call_paris', name: 'get_weather', arguments: '{"city":"Paris"}' },
              { type: 'tool-call', id: 'call_oslo', name: 'get_weather', arguments: '{"city":"Oslo"}' },
            ],
          },
          // Answered in the order the tools finished, as OpenAI allows (pairing is by id).
          { role: 'tool', toolCallId: 'call_oslo', content: [{ type: 'text', text: 'Oslo: -3C' }] },
          { role: 'tool', toolCallId: 'call_paris', content: [{ type: 'text', text: 'Paris: 18C' }] },
          { role: 'user', content: [{ type: 'text', text: 'Which is warmer?' }] },
        ],
      },
      dependencies,
    );
    assert.deepEqual(body.contents[2], {
      role: 'user',
      parts: [
        { functionResponse: { name: 'get_weather', response: { output: 'Paris: 18C' } } },
        { functionResponse: { name: 'get_weather', response: { output: 'Oslo: -3C' } } },
        { text: 'Which is warmer?' },
      ],
    });
  });
});

describe('gemini JSON Schema keywords', () => {
  it('reports keywords set beside $ref, which Gemini does not take, but not the $-keywords it allows there', () => {
    const schema = {
      type: 'object',
      properties: { home: { $ref: '#/$defs/Address', description: 'Where they live', $comment: 'fine' }, work: { $ref: '#/$defs/Address' } },
      $defs: { Address: { type: 'object', properties: { city: { type: 'string' } } } },
    };
    assert.deepEqual(ignoredSchemaKeywords(schema), ['properties.home.description']);
  });

  it('reports an enum of values other than strings and numbers ("enum (for strings and numbers)")', () => {
    assert.deepEqual(ignoredSchemaKeywords({ type: 'object', properties: { a: { enum: ['x', 1] }, b: { enum: [true, false] }, c: { enum: ['x', null] } } }), ['properties.b.enum', 'properties.c.enum']);
  });
});

async function replay(lines: unknown[]): Promise<StreamEvent[]> {
  const text = lines.map((line) => `data: ${JSON.stringify(line)}\r\n\r\n`).join('');
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
  const events: StreamEvent[] = [];
  for await (const event of guardStream(decodeServerSentEvents(body, geminiStreamTransformer({ source, requestedModel: 'gemini-x' })), source)) events.push(event);
  return events;
}

describe('gemini stream fidelity', () => {
  it('says in a warning that a part it cannot relay was left out, as the unary answer does', async () => {
    const events = await replay([
      { candidates: [{ content: { role: 'model', parts: [{ text: 'Let me compute.' }] } }] },
      { candidates: [{ content: { role: 'model', parts: [{ executableCode: { language: 'PYTHON', code: 'print(1)' } }] } }] },
      { candidates: [{ content: { role: 'model', parts: [{ executableCode: { language: 'PYTHON', code: 'print(2)' } }] } }] },
      { candidates: [{ content: { role: 'model', parts: [{ text: ' Done.' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4 } },
    ]);
    const warnings = events.flatMap((event) => (event.type === 'warning' ? [event.warning] : []));
    assert.deepEqual(warnings.map((warning) => warning.setting), ['parts.executableCode'], 'one warning per kind of part');
    assert.equal(events.at(-1)?.type, 'finish');
  });
});

describe('gemini errors in a stream', () => {
  it('keeps the RetryInfo delay of a RESOURCE_EXHAUSTED sent inside a stream', () => {
    const error = errorFromStreamMessage(
      { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '17s' }] },
      source,
    );
    assert.equal(error.code, 'SB_ERR_UPSTREAM_RATE_LIMITED');
    assert.equal(error.retryAfterSeconds, 17);
  });
});
