import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkBody } from './checks.ts';

const base = { model: 'claude-sim-1', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };

// An outside review: the strict simulator accepted these, which openapi.json says the API refuses.
describe('Anthropic simulator: what it refuses beyond the schema', () => {
  it('refuses a thinking budget that is not less than max_tokens (ThinkingConfigEnabled.budget_tokens)', () => {
    assert.match(checkBody({ ...base, max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 2048 } }, 'CreateMessageParams') ?? '', /max_tokens` must be greater than `thinking.budget_tokens/);
    assert.equal(checkBody({ ...base, max_tokens: 2049, thinking: { type: 'enabled', budget_tokens: 2048 } }, 'CreateMessageParams'), undefined);
  });

  it('refuses an empty message but a final assistant one (a string is one text block, and text has minLength 1)', () => {
    const empty = (content: unknown) => ({ ...base, messages: [{ role: 'user', content }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'more' }] });
    assert.match(checkBody(empty(''), 'CreateMessageParams') ?? '', /^messages\.0: all messages must have non-empty content/);
    assert.match(checkBody(empty([]), 'CreateMessageParams') ?? '', /^messages\.0: all messages must have non-empty content/);
    assert.equal(checkBody({ ...base, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: '' }] }, 'CreateMessageParams'), undefined);
  });
});
