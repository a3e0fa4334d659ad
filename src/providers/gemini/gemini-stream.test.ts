import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { StreamEvent } from '../../core/stream-event.ts';
import { guardStream } from '../_shared/guard-stream.ts';
import { decodeServerSentEvents } from '../_shared/sse.ts';
import { geminiStreamTransformer } from './stream.ts';
import { signatureFromToolCallId } from './tool-call-id.ts';
import { createRedactor } from '../_shared/redact-secrets.ts';
import type { UpstreamSource } from '../_shared/upstream-error.ts';

/** A provider's source with no configured secrets. */
const testSource = (provider: string): UpstreamSource => ({ provider, redact: createRedactor([]) });

/** Replays an SSE body split into small byte chunks (mid-line, mid-UTF-8) through the adapter's stream. */
async function replay(source: string | Uint8Array, chunkSize = 7): Promise<StreamEvent[]> {
  const bytes = typeof source === 'string' ? await readFile(new URL(`./__fixtures__/${source}`, import.meta.url)) : source;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += chunkSize) controller.enqueue(bytes.subarray(offset, offset + chunkSize));
      controller.close();
    },
  });
  const events = guardStream(decodeServerSentEvents(body, geminiStreamTransformer({ source: testSource('g'), requestedModel: 'gemini-x' })), testSource('g'));
  const collected: StreamEvent[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

const withoutStart = (events: StreamEvent[]) => events.filter((event) => event.type !== 'stream-start');

describe('gemini stream (fixture replay)', () => {
  it('turns a recorded short stream into exactly these events', async () => {
    const events = await replay('gemini-stream-basic-reply-short.sse');
    // The first chunk's usageMetadata: the prompt's count, billed even if the stream never finishes.
    assert.deepEqual({ ...events[0], created: 0, id: '' }, { type: 'stream-start', id: '', model: 'gemini-2.0-flash', created: 0, warnings: [], inputUsage: { inputTokens: 7, outputTokens: 0 } });
    assert.deepEqual(withoutStart(events), [
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'The' },
      { type: 'text-delta', id: 'text-0', delta: ' capital of Wyoming' },
      { type: 'text-delta', id: 'text-0', delta: ' is **Cheyenne**.\n' },
      { type: 'text-end', id: 'text-0' },
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'STOP', usage: { inputTokens: 7, outputTokens: 10 } },
    ]);
  });

  it('reassembles a long stream split into 3-byte pieces', async () => {
    const events = await replay('gemini-stream-basic-reply-long.sse', 3);
    const text = events.flatMap((event) => (event.type === 'text-delta' ? [event.delta] : [])).join('');
    assert.ok(text.startsWith("Okay, let's dive into the world of cats and dogs!"));
    assert.ok(text.endsWith('or health conditions.\n'));
    assert.deepEqual(events.at(-1), { type: 'finish', finishReason: 'stop', rawFinishReason: 'STOP', usage: { inputTokens: 10, outputTokens: 1996 } });
  });

  it('streams thought summaries as reasoning, then a whole function call carrying its signature', async () => {
    const events = await replay('gemini-stream-thinking-function-call-signature.sse', 11);
    assert.equal(events[0]?.type === 'stream-start' && events[0].id, '48SHaPHpHKbG-8YPtZCawAk');
    const call = events.find((event) => event.type === 'tool-input-start');
    assert.ok(call?.type === 'tool-input-start');
    assert.deepEqual(
      withoutStart(events).map((event) => (event.type === 'reasoning-delta' ? `${event.type}:${event.delta.slice(0, 24)}` : event.type === 'tool-input-delta' ? `${event.type}:${event.delta}` : event.type)),
      [
        'reasoning-start',
        'reasoning-delta:**Calculating the Days**',
        'reasoning-delta:**Determining the Approa',
        'reasoning-end',
        'tool-input-start',
        'tool-input-delta:{}',
        'tool-input-end',
        'finish',
      ],
    );
    assert.equal(call.toolName, 'now');
    const recorded = await readFile(new URL('./__fixtures__/gemini-stream-thinking-function-call-signature.sse', import.meta.url), 'utf8');
    assert.ok(recorded.includes(`"thoughtSignature": "${signatureFromToolCallId(call.id)}"`), 'the id carries the recorded signature');
    assert.deepEqual(events.at(-1), { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'STOP', usage: { inputTokens: 38, outputTokens: 174, reasoningTokens: 168 } });
  });

  it('ends a blocked prompt in a 400 content-policy error, never an empty finish', async () => {
    const blocked = await replay('gemini-stream-prompt-blocked-safety.sse');
    assert.equal(blocked.length, 1);
    const error = blocked[0]!;
    assert.ok(error.type === 'error');
    assert.deepEqual([error.error.code, error.error.status, error.error.retryable], ['SB_ERR_UPSTREAM_BAD_REQUEST', 400, false]);
    assert.match(error.error.message, /Provider "g" blocked the prompt under its content policy; rephrase it: blockReason SAFETY/);
  });

  it('ends a stream without any candidate in a retryable invalid-response error', async () => {
    for (const body of ['data: {"usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 4}, "modelVersion": "gemini-x"}\r\n\r\n', 'data: {"candidates": []}\r\n\r\n', '']) {
      const events = await replay(new TextEncoder().encode(body));
      const last = events.at(-1);
      assert.ok(last?.type === 'error', `no error for ${JSON.stringify(body)}`);
      assert.deepEqual([last.error.code, last.error.retryable], ['SB_ERR_UPSTREAM_INVALID_RESPONSE', true]);
      assert.equal(events.some((event) => event.type === 'finish'), false);
    }
  });

  it('ends text followed by MALFORMED_FUNCTION_CALL in a retryable error, the text block left open and no finish', async () => {
    const body = [
      'data: {"candidates": [{"content": {"parts": [{"text": "Let me call"}], "role": "model"}, "index": 0}]}',
      'data: {"candidates": [{"content": {"parts": [], "role": "model"}, "finishReason": "MALFORMED_FUNCTION_CALL", "index": 0}], "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 3, "totalTokenCount": 12}}',
    ].join('\r\n\r\n') + '\r\n\r\n';
    const events = withoutStart(await replay(new TextEncoder().encode(body)));
    assert.deepEqual(events.slice(0, -1), [
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Let me call' },
    ]);
    const last = events.at(-1);
    assert.ok(last?.type === 'error');
    assert.deepEqual([last.error.code, last.error.retryable], ['SB_ERR_UPSTREAM_ERROR', true]);
    // The usageMetadata of the failing chunk: what Gemini billed for the failed generation.
    assert.deepEqual(last.usage, { inputTokens: 9, outputTokens: 3 });
  });

  it('finishes a recitation stop as content-filter', async () => {
    const recitation = await replay('gemini-stream-recitation-no-content.sse');
    assert.equal(recitation.flatMap((event) => (event.type === 'text-delta' ? [event.delta] : [])).join(''), 'text1text2text3text4text5text6text7text8');
    assert.deepEqual(recitation.at(-1), { type: 'finish', finishReason: 'content-filter', rawFinishReason: 'RECITATION', usage: { inputTokens: 9, outputTokens: 261 } });
  });

  it('reports a stream that stops before any finishReason as interrupted', async () => {
    const recorded = await readFile(new URL('./__fixtures__/gemini-stream-basic-reply-short.sse', import.meta.url), 'utf8');
    const cut = recorded.split('\r\n\r\n').slice(0, 2).join('\r\n\r\n') + '\r\n\r\n';
    const events = await replay(new TextEncoder().encode(cut));
    const last = events.at(-1);
    assert.equal(last?.type === 'error' && last.error.code, 'SB_ERR_STREAM_INTERRUPTED');
    assert.equal(events.some((event) => event.type === 'finish'), false);
  });

  it('turns an in-stream error message into an error event, and unparsable data too', async () => {
    const inBand = await replay(new TextEncoder().encode('data: {"candidates": [{"content": {"parts": [{"text": "Hi"}],"role": "model"}}]}\r\n\r\ndata: {"error": {"code": 503,"message": "The model is overloaded.","status": "UNAVAILABLE"}}\r\n\r\n'));
    const error = inBand.at(-1);
    assert.ok(error?.type === 'error');
    assert.equal(error.error.code, 'SB_ERR_UPSTREAM_UNAVAILABLE');
    assert.match(error.error.message, /overloaded/);
    const garbage = await replay(new TextEncoder().encode('data: {"candidates": [\r\n\r\n'));
    assert.equal(garbage.at(-1)?.type === 'error' && (garbage.at(-1) as { error: { code: string } }).error.code, 'SB_ERR_UPSTREAM_INVALID_RESPONSE');
  });

  it('puts a signature on answer text into a signature-only reasoning block after it', async () => {
    const events = await replay(new TextEncoder().encode('data: {"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]}\r\n\r\ndata: {"candidates": [{"content": {"parts": [{"text": "", "thoughtSignature": "c2ln"}]},"finishReason": "STOP"}]}\r\n\r\n'));
    assert.deepEqual(withoutStart(events).slice(0, -1), [
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Hi' },
      { type: 'text-end', id: 'text-0' },
      { type: 'reasoning-start', id: 'reasoning-1' },
      { type: 'reasoning-signature', id: 'reasoning-1', signature: 'c2ln' },
      { type: 'reasoning-end', id: 'reasoning-1' },
    ]);
  });
});
