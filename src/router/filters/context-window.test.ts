import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelInfo } from '../../core/model.ts';
import type { RoutingContext } from '../../core/strategy.ts';
import { chatRoutingRequest, embeddingRoutingRequest } from '../routing-request.ts';
import { contextWindowFilter } from './context-window.ts';

/** A routing context for a one-message prompt; `counts` records each exact count asked for. */
function contextFor(text: string, maxOutputTokens?: number): { context: RoutingContext; counts: number[] } {
  const caller = { keyId: null, team: null, allowsModel: () => true } as unknown as Parameters<typeof chatRoutingRequest>[2];
  const chat = { model: 'route', stream: false, messages: [{ role: 'user', content: [{ type: 'text', text }] }], metadata: {}, hints: {}, ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}) };
  const request = chatRoutingRequest(chat as unknown as Parameters<typeof chatRoutingRequest>[0], 'route', caller, {});
  const counts: number[] = [];
  const counted = request.promptTokens;
  request.promptTokens = () => {
    const tokens = counted();
    counts.push(tokens);
    return tokens;
  };
  return { context: { request } as unknown as RoutingContext, counts };
}

const model = (contextWindow: number) => ({ id: `window-${contextWindow}`, contextWindow }) as unknown as ModelInfo;

describe('context-window filter', () => {
  it('keeps a model without counting when the prompt’s bytes fit its window', () => {
    const { context, counts } = contextFor('Say hello in five words. '.repeat(40), 500);
    assert.equal(contextWindowFilter.reject(model(128_000), context), undefined);
    assert.deepEqual(counts, [], 'no exact count for a prompt far smaller than the window');
  });

  it('counts when the bytes do not settle it, and keeps or removes by the count', () => {
    // 1,000 bytes, about 200 tokens: more than a 500-token window by bytes, less by tokens.
    const { context, counts } = contextFor('Say hello in five words. '.repeat(40));
    assert.equal(contextWindowFilter.reject(model(500), context), undefined);
    assert.equal(counts.length, 1);
    const reason = contextWindowFilter.reject(model(100), context);
    assert.match(reason ?? '', /^context window 100 < \d+ tokens needed$/);
    // The max tokens asked for count against the window too.
    const withOutput = contextFor('Say hello in five words. '.repeat(40), 400);
    assert.match(contextWindowFilter.reject(model(500), withOutput.context) ?? '', /^context window 500 < \d+ tokens needed$/);
  });

  it('gives reservations the count once a filter made one, else an estimate from the bytes', () => {
    const { context } = contextFor('Say hello in five words. '.repeat(40));
    const request = context.request;
    assert.equal(request.promptTokensEstimate?.(), 3 + 3 + 250, 'a quarter of the 1,000 bytes, before any count');
    contextWindowFilter.reject(model(500), context);
    assert.equal(request.promptTokensEstimate?.(), request.promptTokens(), 'the count, once made');
  });

  it('judges an embeddings batch by its longest input: each input is embedded on its own', () => {
    const caller = { keyId: null, team: null, allowsModel: () => true } as unknown as Parameters<typeof embeddingRoutingRequest>[2];
    // 40 inputs of about 300 tokens: 12,000 in all, each far inside an 8,191-token window.
    const input = Array.from({ length: 40 }, (_, index) => `document ${index}: ${'the quick brown fox jumps over the lazy dog. '.repeat(30)}`);
    const request = embeddingRoutingRequest({ model: 'embed', input, metadata: {} }, 'embed', caller, {});
    const context = { request } as unknown as RoutingContext;
    assert.ok(request.promptTokens() > 8191, 'the batch as a whole exceeds the window');
    assert.equal(contextWindowFilter.reject(model(8191), context), undefined);
    assert.match(contextWindowFilter.reject(model(100), context) ?? '', /^context window 100 < 3\d\d tokens needed$/);
  });
});
