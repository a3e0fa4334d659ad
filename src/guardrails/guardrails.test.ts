import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Caller } from '../core/caller.ts';
import type { ChatRequest } from '../core/chat-request.ts';
import type { Warning } from '../core/chat-result.ts';
import { GatewayError } from '../core/errors.ts';
import type { GovernedRecord, GuardrailOutcome } from '../core/governance.ts';
import { configSchema } from '../config/schema.ts';
import { Guardrails } from './guardrails.ts';

const config = configSchema.parse({
  guardrails: [
    { name: 'redact', type: 'pii' },
    { name: 'block-cards', type: 'pii', entities: ['card_number'], action: 'block' },
    { name: 'on-prem', type: 'pii', entities: ['email'], action: 'on_prem' },
    { name: 'deny', type: 'deny', patterns: ['top\\s+secret'] },
    { name: 'small', type: 'max_prompt_tokens', max_tokens: 40 },
  ],
  routes: [
    { id: 'safe', candidates: ['m'], guardrails: ['redact'] },
    { id: 'strict', candidates: ['m'], guardrails: ['block-cards', 'deny', 'small'] },
    { id: 'plain', candidates: ['m'] },
  ],
});
const guardrails = new Guardrails(config.guardrails, config.routes);

const record = () => {
  const outcomes: GuardrailOutcome[] = [];
  const warnings: Warning[] = [];
  const value: GovernedRecord = { id: 'req_1', guardrails: outcomes, warnings, onFinish: () => undefined };
  return value;
};
const caller = (names: string[] = []): Caller => ({
  keyId: names.length ? 'key_1' : null,
  keyName: null,
  team: null,
  allowsModel: () => true,
  header: () => undefined,
  ...(names.length ? { governance: { policies: [], guardrails: names, metadata: {} } } : {}),
});
const request = (text: string): ChatRequest => ({
  model: 'safe',
  messages: [
    { role: 'system', content: [{ type: 'text', text: 'You help.' }] },
    { role: 'user', content: [{ type: 'text', text }] },
    { role: 'assistant', content: [{ type: 'tool-call', id: 'c1', name: 'lookup', arguments: '{"email":"x@y.io"}' }] },
  ],
  stream: false,
  includeUsage: false,
  metadata: {},
  hints: {},
  native: { format: 'openai-chat', body: { model: 'safe', messages: [{ role: 'user', content: text }], user: 'x@y.io' } },
});

describe('guardrails', () => {
  it('does nothing (and allocates nothing) for a route and caller without guardrails', () => {
    const incoming = request('a@b.io');
    const target = record();
    const screened = guardrails.screenChat(target, incoming, 'plain', caller());
    assert.equal(screened.request, incoming);
    assert.equal(screened.onPrem, false);
    assert.deepEqual(target.guardrails, []);
  });

  it('redacts a copy, native body included, and leaves the parsed request untouched', () => {
    const incoming = request('mail a@b.io');
    const target = record();
    const screened = guardrails.screenChat(target, incoming, 'safe', caller());
    assert.notEqual(screened.request, incoming);
    assert.deepEqual(screened.request.messages[1]!.content, [{ type: 'text', text: 'mail [REDACTED_EMAIL]' }]);
    assert.deepEqual(screened.request.messages[2]!.content[0], { type: 'tool-call', id: 'c1', name: 'lookup', arguments: '{"email":"[REDACTED_EMAIL]"}' });
    assert.deepEqual(screened.request.native?.body, { model: 'safe', messages: [{ role: 'user', content: 'mail [REDACTED_EMAIL]' }], user: '[REDACTED_EMAIL]' });
    assert.deepEqual(incoming.messages[1]!.content, [{ type: 'text', text: 'mail a@b.io' }]);
    assert.deepEqual(target.guardrails, [{ name: 'redact', type: 'pii', result: 'redacted', findings: { email: 2 } }]);
    assert.equal(target.warnings.length, 1);
  });

  it('blocks with a 400 that names the kind of data and records the outcome first', () => {
    const target = record();
    assert.throws(
      () => guardrails.screenChat(target, request('pay with 4111111111111111'), 'strict', caller()),
      (error: unknown) => GatewayError.isInstance(error) && error.status === 400 && /block-cards.*card_number/.test(error.message) && !error.message.includes('4111'),
    );
    assert.deepEqual(target.guardrails, [{ name: 'block-cards', type: 'pii', result: 'blocked', findings: { card_number: 1 } }]);
  });

  it('runs the route guardrails and the key guardrails, each once', () => {
    const target = record();
    const screened = guardrails.screenChat(target, request('mail a@b.io'), 'safe', caller(['on-prem', 'redact']));
    assert.deepEqual(target.guardrails.map((outcome) => [outcome.name, outcome.result]), [['redact', 'redacted'], ['on-prem', 'passed']]);
    assert.equal(screened.onPrem, false, 'the email was redacted before the on-prem guardrail looked');
    const second = record();
    assert.equal(guardrails.screenChat(second, request('mail a@b.io'), 'plain', caller(['on-prem'])).onPrem, true);
  });

  it('denies patterns case-insensitively and limits prompt tokens', () => {
    assert.throws(() => guardrails.screenChat(record(), request('this is TOP   SECRET'), 'strict', caller()), /deny/);
    assert.throws(() => guardrails.screenChat(record(), request('word '.repeat(50)), 'strict', caller()), /small/);
    assert.doesNotThrow(() => guardrails.screenChat(record(), request('short'), 'strict', caller()));
    // More bytes than the 40 tokens allowed (so it is counted), but fewer tokens: it passes.
    assert.doesNotThrow(() => guardrails.screenChat(record(), request('word '.repeat(12)), 'strict', caller()));
  });

  it('screens embedding inputs', () => {
    const target = record();
    const incoming = { model: 'e', input: ['a@b.io', 'plain'], metadata: {} };
    const screened = guardrails.screenEmbedding(target, incoming, 'e', caller(['redact']));
    assert.deepEqual(screened.request.input, ['[REDACTED_EMAIL]', 'plain']);
    assert.deepEqual(incoming.input, ['a@b.io', 'plain']);
  });

  it('rejects invalid deny patterns and unknown names when the config is loaded', () => {
    assert.equal(configSchema.safeParse({ guardrails: [{ name: 'x', type: 'deny', patterns: ['('] }] }).success, false);
    assert.equal(configSchema.safeParse({ guardrails: [{ name: 'x', type: 'pii', entities: ['dna'] }] }).success, false);
  });
});

// An outside probe: an email in a tool description, a schema description, `user`, `stop`, a
// message name or reasoning text passed a block guardrail and reached the provider; so did one in
// `prediction` (a field only the native body holds), and token-id embedding inputs passed unread.
describe('guardrails read every text a provider receives', () => {
  const typed = (): ChatRequest => ({
    model: 'm',
    messages: [
      { role: 'user', name: 'a@b.io', content: [{ type: 'text', text: 'hi' }] },
      { role: 'assistant', content: [{ type: 'reasoning', text: 'mail a@b.io', signature: 'sig' }] },
    ],
    tools: [{ name: 'send', description: 'send to a@b.io', parameters: { type: 'object', properties: { to: { type: 'string', description: 'like a@b.io', format: 'email' } } } }],
    responseFormat: { type: 'json_schema', name: 'out', description: 'for a@b.io', schema: { type: 'object', enum: ['a@b.io'] } },
    stop: ['a@b.io'],
    user: 'a@b.io',
    stream: false,
    includeUsage: false,
    metadata: {},
    hints: {},
  });

  it('redacts them all in the typed request, and blocks on each', () => {
    const target = record();
    const screened = guardrails.screenChat(target, typed(), 'safe', caller()).request;
    assert.deepEqual(target.guardrails, [{ name: 'redact', type: 'pii', result: 'redacted', findings: { email: 8 } }]);
    assert.ok(!JSON.stringify(screened).includes('a@b.io'), JSON.stringify(screened));
    assert.deepEqual(screened.tools?.[0]?.parameters, { type: 'object', properties: { to: { type: 'string', description: 'like [REDACTED_EMAIL]', format: 'email' } } }, 'schema keywords are not text');
    const onlyIn = (change: (request: ChatRequest) => void) => {
      const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, includeUsage: false, metadata: {}, hints: {} };
      change(request);
      return guardrails.screenChat(record(), request, 'plain', caller(['on-prem'])).onPrem;
    };
    const full = typed();
    assert.equal(onlyIn((request) => (request.tools = full.tools)), true, 'tool description');
    assert.equal(onlyIn((request) => (request.responseFormat = full.responseFormat)), true, 'response format');
    assert.equal(onlyIn((request) => (request.stop = full.stop)), true, 'stop');
    assert.equal(onlyIn((request) => (request.user = full.user)), true, 'user');
    assert.equal(onlyIn((request) => (request.messages = full.messages.slice(0, 1))), true, 'name');
    assert.equal(onlyIn((request) => (request.messages = full.messages.slice(1))), true, 'reasoning');
  });

  it('reads the native body, fields the typed request lacks included', () => {
    const request: ChatRequest = {
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      stream: false,
      includeUsage: false,
      metadata: {},
      hints: {},
      native: { format: 'openai-chat', body: { model: 'strict', messages: [{ role: 'user', content: 'hi' }], prediction: { type: 'content', content: '4111111111111111' } } },
    };
    assert.throws(() => guardrails.screenChat(record(), request, 'strict', caller()), /block-cards/);
  });

  it('blocks or keeps on-prem token-id embedding inputs, which no pattern can read, and counts them', () => {
    const tokens = { model: 'e', input: [], inputTokenIds: 50, metadata: {} };
    const blocked = record();
    assert.throws(
      () => guardrails.screenEmbedding(blocked, tokens, 'e', caller(['block-cards'])),
      (error: unknown) => GatewayError.isInstance(error) && /block-cards.*token-id inputs cannot be read/.test(error.message),
    );
    assert.deepEqual(blocked.guardrails, [{ name: 'block-cards', type: 'pii', result: 'blocked', detail: 'token-id inputs cannot be read' }]);
    assert.throws(() => guardrails.screenEmbedding(record(), tokens, 'e', caller(['deny'])), /deny/);
    assert.equal(guardrails.screenEmbedding(record(), tokens, 'e', caller(['on-prem'])).onPrem, true);
    assert.throws(() => guardrails.screenEmbedding(record(), tokens, 'e', caller(['small'])), /small.*50 prompt tokens > 40/);
  });
});
