import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../core/chat-request.ts';
import { streamedHello } from '../../test/helpers/chat-request.ts';
import { countTextsTokens } from '../tokens/count.ts';
import { continuationRequest } from './continuation-request.ts';

const base = streamedHello;

describe('continuationRequest', () => {
  it('sends the text so far as the assistant prefix, from the typed request, never the caller’s body', () => {
    const original = { ...base, native: { format: 'openai-chat', body: { model: 'chat', messages: [] } } } as unknown as ChatRequest;
    const continuation = continuationRequest(original, ['Hello, ', 'wor']);
    assert.equal(continuation?.assistantPrefix, 'Hello, wor');
    assert.deepEqual(continuation?.messages, base.messages);
    assert.equal(continuation?.native, undefined, 'a continuation is never relayed as the caller sent it');
    assert.equal(original.native?.format, 'openai-chat', 'the original request is left as it was');
  });

  it('puts a caller’s own assistant prefill before the answer’s text', () => {
    const prefilled = { ...base, messages: [...base.messages, { role: 'assistant', content: [{ type: 'text', text: 'Answer: ' }] }] } as ChatRequest;
    const continuation = continuationRequest(prefilled, ['Hello']);
    assert.equal(continuation?.assistantPrefix, 'Answer: Hello');
    assert.deepEqual(continuation?.messages, base.messages, 'the prefill turn itself is not sent twice');
  });

  it('cannot continue several choices or a prefill that is not text', () => {
    assert.equal(continuationRequest({ ...base, n: 2 } as ChatRequest, ['Hi']), undefined);
    const imagePrefill = { ...base, messages: [...base.messages, { role: 'assistant', content: [{ type: 'image', url: 'https://example.com/a.png' }] }] } as unknown as ChatRequest;
    assert.equal(continuationRequest(imagePrefill, ['Hi']), undefined);
  });

  it('asks for no more tokens than the caller still allows, and at least one', () => {
    const sent = ['Hello there, this is the answer so far.'];
    const used = countTextsTokens(sent);
    assert.equal(continuationRequest({ ...base, maxOutputTokens: 100 } as ChatRequest, sent)?.maxOutputTokens, 100 - used);
    assert.equal(continuationRequest({ ...base, maxOutputTokens: 1 } as ChatRequest, sent)?.maxOutputTokens, 1);
    assert.equal(continuationRequest(base, sent)?.maxOutputTokens, undefined);
  });
});
