import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../core/chat-request.ts';
import type { CachedAnswer } from '../core/response-cache.ts';
import { createMemoryResponseCache } from '../store/memory/response-cache.ts';
import { cacheKey } from './cache-key.ts';

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
    assert.equal(cacheKey('r', request(base)), cacheKey('r', request({ ...base, stream: true, stream_options: { include_usage: true } })));
    assert.notEqual(cacheKey('r', request(base)), cacheKey('r', request({ ...base, logit_bias: { '1': 3 } })));
    assert.notEqual(cacheKey('r', request(base)), cacheKey('other', request(base)));
  });
});
