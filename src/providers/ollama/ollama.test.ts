import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import { convertRequest } from '../openai-compatible/convert-request.ts';
import { openAIFlavor } from '../openai-compatible/index.ts';
import { checkOllamaBody } from './fit-body.ts';

const dialect = { ...openAIFlavor, checkBody: checkOllamaBody };
const base: ChatRequest = { model: 'llama', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, includeUsage: false, metadata: {}, hints: {} };
const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];

describe('ollama request fitting (OpenAI-compatible /v1, docs/api/openai-compatibility.mdx)', () => {
  it('sends the caller\'s max_completion_tokens as max_tokens, the only limit Ollama reads', () => {
    const native = { model: 'x', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 20 };
    const source = { of: native, bytes: new TextEncoder().encode(JSON.stringify(native)), omit: [] };
    const { body, bytes, warnings } = convertRequest({ ...base, maxOutputTokens: 20, native: { format: 'openai-chat', body: native, source } }, 'llama3.1:8b', dialect);
    assert.deepStrictEqual(body, { model: 'llama3.1:8b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 });
    assert.equal(bytes, undefined, "the caller's bytes, which still say max_completion_tokens, are not relayed");
    assert.deepStrictEqual(warnings, []);
  });

  it('relays the other fields as they came, as the caller\'s bytes: Ollama ignores what its version does not read, and newer ones read more', () => {
    const native = { model: 'x', messages: [{ role: 'user', content: 'hi' }], tools, tool_choice: 'required', user: 'u1', logprobs: true, top_logprobs: 2, n: 1, seed: 3 };
    const source = { of: native, bytes: new TextEncoder().encode(JSON.stringify(native)), omit: [] };
    const { body, bytes, warnings } = convertRequest({ ...base, native: { format: 'openai-chat', body: native, source } }, 'llama3.1:8b', dialect);
    assert.deepStrictEqual(body, { ...native, model: 'llama3.1:8b' });
    assert.ok(bytes !== undefined, "nothing fitted: the caller's bytes go");
    assert.deepStrictEqual(warnings, []);
  });

  it('fits a body built from another format (Anthropic ingress): its limit is max_tokens already', () => {
    const { body, warnings } = convertRequest({ ...base, maxOutputTokens: 9 }, 'm', dialect);
    assert.deepStrictEqual(body, { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 9 });
    assert.deepStrictEqual(warnings, []);
  });

  it("sends an earlier turn's reasoning_content as the reasoning Ollama reads", () => {
    const messages = [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'Hello.', reasoning_content: 'Greet back.' }, { role: 'user', content: 'again' }];
    const { body, warnings } = convertRequest({ ...base, native: { format: 'openai-chat', body: { model: 'x', messages } } }, 'm', dialect);
    assert.deepStrictEqual((body.messages as unknown[])[1], { role: 'assistant', content: 'Hello.', reasoning: 'Greet back.' });
    assert.deepStrictEqual(warnings, []);
    assert.equal('reasoning' in messages[1]!, false, "the caller's body is not changed");
  });

  it('refuses n > 1 with a 400 (Ollama answers one choice)', () => {
    assert.throws(
      () => convertRequest({ ...base, n: 2, native: { format: 'openai-chat', body: { model: 'x', messages: [], n: 2 } } }, 'm', dialect),
      (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST' && error.param === 'n',
    );
  });
});
