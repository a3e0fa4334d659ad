import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../core/chat-request.ts';
import { applyOverrides } from './overrides.ts';

const anthropicRequest = (): ChatRequest => ({
  model: 'claude',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
  stream: false,
  includeUsage: false,
  metadata: {},
  hints: {},
  native: {
    format: 'anthropic-messages',
    body: { model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
    headers: { 'anthropic-beta': 'context-1m-2025-08-07' },
    nativeOnly: ['mcp_servers'],
  },
});

describe('a rule\'s set overrides', () => {
  // An outside probe: a rule's `set` dropped the caller's anthropic-beta header and sent
  // `temperature: "0.5"` (text from a variable) as a string, which the provider refused.
  it('writes the typed value into the native body and keeps its protocol headers and native-only settings', () => {
    const { request, warnings } = applyOverrides(anthropicRequest(), { temperature: '0.5', stop: 'END' }, 2);
    assert.equal(request.temperature, 0.5);
    assert.deepEqual(request.native?.body, { model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], temperature: 0.5, stop_sequences: ['END'] });
    assert.deepEqual(request.native?.headers, { 'anthropic-beta': 'context-1m-2025-08-07' });
    assert.deepEqual(request.native?.nativeOnly, ['mcp_servers']);
    assert.deepEqual(warnings.map((warning) => warning.message), ['rules[2] set temperature to 0.5', 'rules[2] set stop to ["END"]']);
  });

  it('sets an Anthropic body\'s effort, and says which settings such a body cannot carry', () => {
    const { request, warnings } = applyOverrides(anthropicRequest(), { reasoning_effort: 'low', seed: 3 }, 0);
    assert.deepEqual(request.native?.body.output_config, { effort: 'low' });
    assert.equal(request.seed, 3);
    assert.equal(request.native?.body.seed, undefined);
    assert.deepEqual(warnings.map((warning) => warning.message), [
      'rules[0] set reasoning_effort to "low"',
      'rules[0] set seed to 3 (an Anthropic Messages body has no seed: sent only to providers of other formats)',
    ]);
  });
});
