import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../core/chat-request.ts';
import type { CachedAnswer } from '../core/response-cache.ts';
import { createMemoryResponseCache } from '../store/memory/response-cache.ts';
import type { StreamEvent } from '../core/stream-event.ts';
import { cacheKey, cacheScope } from './cache-key.ts';
import { ResultCollector } from './collect-result.ts';
import { replayAsStream } from './replay.ts';

const answer = (text: string): CachedAnswer => ({
  result: { id: 'x', model: 'm', created: 1, content: [{ type: 'text', text }], finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 }, warnings: [] },
  model: 'm',
  provider: 'p',
  upstream: 'm',
});

describe('response cache', () => {
  it('expires entries after their TTL and evicts the least recently used', () => {
    let now = 0;
    const cache = createMemoryResponseCache(2, () => now);
    cache.set('a', answer('a'), 1000);
    cache.set('b', answer('b'), 1000);
    assert.ok(cache.get('a'));
    cache.set('c', answer('c'), 1000);
    assert.equal(cache.get('b'), undefined, 'b was the least recently used');
    assert.ok(cache.get('a'));
    now = 1000;
    assert.equal(cache.get('a'), undefined, 'expired');
  });

  it('keys on the route and the whole body, not on streaming', () => {
    const request = (body: Record<string, unknown>): ChatRequest => ({
      model: 'r',
      messages: [],
      stream: body.stream === true,
      includeUsage: false,
      metadata: {},
      hints: {},
      native: { format: 'openai-chat', body },
    });
    const base = { model: 'r', messages: [{ role: 'user', content: 'hi' }], logit_bias: { '1': 2 } };
    assert.equal(cacheKey('r', request(base), ''), cacheKey('r', request({ ...base, stream: true, stream_options: { include_usage: true } }), ''));
    assert.notEqual(cacheKey('r', request(base), ''), cacheKey('r', request({ ...base, logit_bias: { '1': 3 } }), ''));
    assert.notEqual(cacheKey('r', request(base), ''), cacheKey('other', request(base), ''));
  });

  // Outside probes: a tool's property named `stream` was dropped from the key as if it were the
  // delivery field; the routing inputs the native body does not hold (metadata, OpenRouter's
  // hints) did not count, so `provider.order: ["ant"]` got another provider's answer; and two
  // teams shared entries.
  it('keys on nested fields named like delivery fields, the routing metadata and hints, and the caller scope', () => {
    const request = (body: Record<string, unknown>, routing: Pick<ChatRequest, 'metadata' | 'hints'> = { metadata: {}, hints: {} }): ChatRequest => ({
      model: 'r',
      messages: [],
      stream: false,
      includeUsage: false,
      ...routing,
      native: { format: 'openai-chat', body },
    });
    const tool = (type: string) => ({ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { stream: { type } } } } });
    const base = { model: 'r', messages: [{ role: 'user', content: 'hi' }] };
    const key = (body: Record<string, unknown>, routing?: Pick<ChatRequest, 'metadata' | 'hints'>, scope = '') => cacheKey('r', request(body, routing), scope);
    assert.notEqual(key({ ...base, tools: [tool('string')] }), key({ ...base, tools: [tool('integer')] }));
    assert.notEqual(key(base), key(base, { metadata: { task: 'code' }, hints: {} }));
    assert.notEqual(key(base), key(base, { metadata: {}, hints: { provider: { order: ['ant'] } } }));
    assert.notEqual(key(base), key(base, { metadata: {}, hints: { models: ['smart'] } }));
    assert.equal(key(base, undefined, cacheScope({ keyId: 'key_a', team: 'red' })), key(base, undefined, cacheScope({ keyId: 'key_b', team: 'red' })));
    assert.notEqual(key(base, undefined, cacheScope({ keyId: 'key_a', team: 'red' })), key(base, undefined, cacheScope({ keyId: 'key_b', team: 'blue' })));
    assert.notEqual(key(base, undefined, cacheScope({ keyId: 'key_a', team: null })), key(base, undefined, cacheScope({ keyId: 'key_b', team: null })));
    assert.notEqual(key(base, undefined, cacheScope({ keyId: null, team: null })), key(base, undefined, cacheScope({ keyId: 'key_a', team: null })));
  });

  it('keeps a streamed and a plain delivery apart where the typed answer cannot carry the whole answer', () => {
    const request = (format: 'openai-chat' | 'anthropic-messages', body: Record<string, unknown>, stream: boolean, nativeOnly?: string[]): ChatRequest => ({
      model: 'r',
      messages: [],
      stream,
      includeUsage: false,
      metadata: {},
      hints: {},
      native: { format, body: { ...body, stream }, ...(nativeOnly ? { nativeOnly } : {}) },
    });
    const shared = (format: 'openai-chat' | 'anthropic-messages', body: Record<string, unknown>, nativeOnly?: string[]) =>
      cacheKey('r', request(format, body, true, nativeOnly), '') === cacheKey('r', request(format, body, false, nativeOnly), '');
    const messages = [{ role: 'user', content: 'hi' }];
    assert.ok(shared('openai-chat', { messages }));
    assert.ok(shared('openai-chat', { messages, n: 1, logprobs: false }));
    assert.ok(!shared('openai-chat', { messages, n: 2 }));
    assert.ok(!shared('openai-chat', { messages, logprobs: true }));
    assert.ok(shared('anthropic-messages', { messages }, ['cache_control']));
    assert.ok(!shared('anthropic-messages', { messages }, ['mcp_servers']));
  });
});

describe('a streamed answer collected for the cache, and replayed', () => {
  const start: StreamEvent = { type: 'stream-start', id: 'msg_1', model: 'claude-x', created: 5, warnings: [] };
  // What the Anthropic adapter emits for thinking (signed), redacted thinking, text and a tool call.
  const events: StreamEvent[] = [
    start,
    { type: 'reasoning-start', id: 'b0' },
    { type: 'reasoning-delta', id: 'b0', delta: 'Think' },
    { type: 'reasoning-delta', id: 'b0', delta: '.' },
    { type: 'reasoning-signature', id: 'b0', signature: 'SIG1' },
    { type: 'reasoning-end', id: 'b0' },
    { type: 'reasoning-start', id: 'b1' },
    { type: 'reasoning-redacted', id: 'b1', data: 'REDACTED' },
    { type: 'reasoning-end', id: 'b1' },
    { type: 'text-start', id: 'b2' },
    { type: 'text-delta', id: 'b2', delta: 'Hello' },
    { type: 'text-end', id: 'b2' },
    { type: 'tool-input-start', id: 'toolu_1', toolName: 'f' },
    { type: 'tool-input-delta', id: 'toolu_1', delta: '{"a":' },
    { type: 'tool-input-delta', id: 'toolu_1', delta: '1}' },
    { type: 'tool-input-end', id: 'toolu_1' },
    { type: 'text-start', id: 'b4' },
    { type: 'text-delta', id: 'b4', delta: 'After' },
    { type: 'text-end', id: 'b4' },
    { type: 'finish', finishReason: 'stop', rawFinishReason: 'stop_sequence', stopSequence: 'END', usage: { inputTokens: 3, outputTokens: 4 } },
  ];
  const plainRequest: ChatRequest = { model: 'r', messages: [], stream: true, includeUsage: false, metadata: {}, hints: {} };
  const collect = (stream: Iterable<StreamEvent>) => {
    const collector = new ResultCollector();
    for (const event of stream) collector.add(event);
    return collector.take();
  };
  const drain = async (stream: ReadableStream<StreamEvent>) => {
    const out: StreamEvent[] = [];
    for await (const event of stream) out.push(event);
    return out;
  };

  it('keeps every block in its order, with signatures, redacted data and the stop sequence', () => {
    const { result, stream } = collect(events)!;
    assert.equal(stream, undefined);
    assert.deepStrictEqual(result.content, [
      { type: 'reasoning', text: 'Think.', signature: 'SIG1' },
      { type: 'reasoning', text: '', redacted: 'REDACTED' },
      { type: 'text', text: 'Hello' },
      { type: 'tool-call', id: 'toolu_1', name: 'f', arguments: '{"a":1}' },
      { type: 'text', text: 'After' },
    ]);
    assert.equal(result.stopSequence, 'END');
    assert.equal(result.rawFinishReason, 'stop_sequence');
  });

  it('replays the typed answer as events that collect to the same answer', async () => {
    const cached: CachedAnswer = { ...answer(''), result: collect(events)!.result };
    const replayed = await drain(replayAsStream(cached, plainRequest));
    assert.deepStrictEqual(collect(replayed)!.result, cached.result);
  });

  it('replays a verbatim stream in its own format as its chunks, the usage chunk as this caller asked', async () => {
    const usageChunk = '{"id":"c","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}';
    const verbatim: StreamEvent[] = [
      { ...start, nativeFormat: 'openai-chat' } as StreamEvent,
      { type: 'native-chunk', format: 'openai-chat', data: '{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}},{"index":1,"delta":{"content":"Yo"}}]}' },
      { type: 'text-delta', id: 't', delta: 'Hi' },
      { type: 'native-chunk', format: 'openai-chat', data: usageChunk, internal: true },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 4 } },
    ];
    const collected = collect(verbatim)!;
    assert.equal(collected.stream?.chunks.length, 2);
    const cached: CachedAnswer = { ...answer(''), result: collected.result, stream: collected.stream! };
    const openaiRequest = (includeUsage: boolean): ChatRequest => ({ ...plainRequest, includeUsage, native: { format: 'openai-chat', body: {} } });
    const chunks = async (includeUsage: boolean) =>
      (await drain(replayAsStream(cached, openaiRequest(includeUsage)))).flatMap((event) => (event.type === 'native-chunk' ? [event] : []));
    assert.deepStrictEqual(
      (await chunks(true)).map((chunk) => [chunk.data === usageChunk, chunk.internal === true, chunk.usage === true]),
      [[false, false, false], [true, false, true]],
    );
    assert.deepStrictEqual(
      (await chunks(false)).map((chunk) => [chunk.data === usageChunk, chunk.internal === true]),
      [[false, false], [true, true]],
    );
    // Another format gets the typed answer; a stream that resumed on another call keeps no chunks.
    const typed = await drain(replayAsStream(cached, { ...plainRequest, native: { format: 'anthropic-messages', body: {} } }));
    assert.ok(!typed.some((event) => event.type === 'native-chunk'));
    assert.equal(collect([...verbatim.slice(0, 2), { type: 'resume', spent: [], model: { id: 'm', providerId: 'p', upstream: 'm', tags: [] } }, ...verbatim.slice(2)])!.stream, undefined);
  });

  it('drops an answer too long to cache as it goes', () => {
    const piece = 'x'.repeat(4 << 20);
    const collector = new ResultCollector();
    collector.add(start);
    for (let index = 0; index < 9; index += 1) collector.add({ type: 'text-delta', id: 't', delta: piece });
    collector.add({ type: 'finish', finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 } });
    assert.equal(collector.take(), undefined);
  });
});
